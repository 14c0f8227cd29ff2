"""Search for one or two characters on PostgreSQL: a GIN index of every character and every
pair of characters of the searched text (what SQLite's 0010 does with FTS5).

pg_trgm (0007) cannot serve fewer than three characters, yet most Chinese words have two
(噪音, 停车, 漏水) and some one (狗); pg_bigm, made for this, is not offered by every server.
So the index is our own: an expression GIN index on `jieban_short_words(title, content,
address, resident_name)`, a PL/pgSQL function giving each character and each pair of
characters of each column (a pair never spans two columns), after `upper()`, which is what
Django's `icontains` folds, as one bigint each:

- a character: its code point;
- a pair: the first's code point × 2^21 + the second's (code points are below 2^21, so no pair
  has the number of another or of a character).

The query's word is numbered by `jieban_short_word(text)`, the same arithmetic, so the two
cannot disagree; tests/test_search.py checks that the index finds what `icontains` finds.

The index holds numbers, not the text: nothing is added to the table's rows. The function is
declared expensive (COST 1000) so that the planner reads the index rather than compute a
ticket's words row by row; the search (`tickets.selectors`) counts the matches through the
index first and walks the newest tickets reading their text when a word is that common.

Built CONCURRENTLY, outside a transaction, like 0007: intake goes on while it builds (at ten
million tickets it takes minutes; bench/RESULTS.md). A build that fails half-way leaves an
INVALID index: drop it by hand and migrate again.

On SQLite this migration does nothing: 0010's FTS5 index serves one and two characters there.
"""

from django.db import migrations

INDEX = "ticket_short_words_idx"
# 2^21: above every code point.
SHIFT = 2097152

FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION jieban_short_words(
        title text, content text, address text, resident_name text
    ) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000 AS $$
    DECLARE
        words bigint[] := '{{}}';
        part text;
        letter text;
        code bigint;
        previous bigint;
    BEGIN
        FOREACH part IN ARRAY ARRAY[title, content, address, resident_name] LOOP
            CONTINUE WHEN part IS NULL OR part = '';
            previous := NULL;
            -- string_to_array(…, NULL) splits into characters in one pass (substr would count
            -- from the start for every position).
            FOREACH letter IN ARRAY string_to_array(upper(part), NULL) LOOP
                code := ascii(letter);
                words := words || code;
                IF previous IS NOT NULL THEN
                    words := words || (previous * {SHIFT} + code);
                END IF;
                previous := code;
            END LOOP;
        END LOOP;
        RETURN words;
    END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION jieban_short_word(word text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN length(word) = 1 THEN ascii(upper(word))::bigint
        ELSE ascii(upper(substr(word, 1, 1)))::bigint * {SHIFT} + ascii(upper(substr(word, 2, 1)))
        END
    $$
    """,
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(function)
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON tickets_ticket"
        " USING gin (jieban_short_words(title, content, address, resident_name))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute("DROP FUNCTION IF EXISTS jieban_short_word(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS jieban_short_words(text, text, text, text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0023_address_key")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
