from jieban.cli import main

main()
