"""The pages that watch the tickets after dispatch: `orders` (the supervisor's board and the
printable supervision order), `follow_up` (the queue of calls back to residents and the call
itself), `campaign` (the monthly clear-to-zero board and its export); their forms in `forms`."""
