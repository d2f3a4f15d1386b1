"""The pipeline's rules inside a PostgreSQL store: tables that publishing fills, and triggers that read them.

flowctl checks every rule before it writes; on a server, other clients exist (psql, a BI tool, a script run by
a member), so the database checks them again for everybody. Publishing a version (services/publish.py)
compiles its rules (services/rules.py) into the `rule_*` tables, keyed by the version; the triggers apply the
latest version's rules to the acting role, `session_user` mapped to a member:

- a deal is created in its pipeline's first stage, by a member holding a role of that pipeline, with the stage's
  required fields filled;
- a stage changes only along a move the member's roles may make, into a stage whose required fields are filled;
  a field the current stage requires is not cleared;
- a won or lost deal changes only by a role that may reopen it; a deal stays in its pipeline; the columns
  reports add up (responsible, budget_minor, lead_date) agree with the card's fields;
- a task is created open, in the creator's name; only an open task changes, and it is done only with a result
  of the minimum visible length (L3) and a declared kind of contact (L2);
- the history and the published versions name the member who wrote them, and only a member holding the
  publish power publishes; the history, the versions and the rules are append-only (migration 1).

A transaction that declares a workspace power its member holds (store.use_power: `import all` declares
restore, `migrate` migrate, `import deals` import) goes past the rules as that command does: restore and migrate
rewrite rows wholesale; an import places deals in any stage (the fields and the freeze still apply). Declaring
takes only a setting, but holding the power takes the published team: the head of sales' everyday commands,
and their psql, are checked like everybody's.
A superuser stands above all of this (it could switch the triggers off), so it is not checked; a role that is
no member is refused. Blank is text.py's definition, compiled into a character class when publishing.

Every function runs with a fixed search_path (this schema, then pg_temp), so a member's temporary table named
like a rule table is never read in its place. The texts a member meets through flowctl's checks are the
published ones (messages.py); the few fixed English texts below are for states flowctl never creates.
"""

from __future__ import annotations

RULE_TABLES = ("rule_versions", "rule_members", "rule_pipelines", "rule_roles", "rule_stages", "rule_moves",
               "rule_requires")  # parents first
FUNCTIONS = ("flowctl_append_only()", "flowctl_rules_current()", "flowctl_actor()",
             "flowctl_power(rule_members)", "flowctl_refuse(bigint, text, text, text[])", "flowctl_seen(text, text)",
             "flowctl_label(bigint, text, text)", "flowctl_missing(bigint, text, text, jsonb, text)",
             "flowctl_check_deal()", "flowctl_check_task()", "flowctl_check_event()",
             "flowctl_check_publication()")

def _pinned(functions) -> str:
    """Each function runs with this schema's search_path (then pg_temp), whatever the caller's."""
    return """DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['{functions}'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, current_schema());
    END LOOP;
END $$;
""".replace("{functions}", "', '".join(functions))


RULES_SCHEMA = """
CREATE TABLE rule_versions (
    version bigint PRIMARY KEY REFERENCES publications(id),
    unseen text NOT NULL,  -- a regular-expression class of the characters a reader does not see
    messages jsonb NOT NULL  -- the refusals' texts as format() templates, in the publisher's language
);
CREATE TABLE rule_members (
    version bigint NOT NULL REFERENCES rule_versions, db_role text NOT NULL, login text NOT NULL,
    roles text[] NOT NULL, powers text[] NOT NULL,
    PRIMARY KEY (version, db_role)
);
CREATE TABLE rule_pipelines (
    version bigint NOT NULL REFERENCES rule_versions, pipeline text NOT NULL, name text NOT NULL,
    initial_stage text NOT NULL, result_min_length integer NOT NULL, contact_kinds text[] NOT NULL,
    PRIMARY KEY (version, pipeline)
);
CREATE TABLE rule_roles (
    version bigint NOT NULL REFERENCES rule_versions, pipeline text NOT NULL, role text NOT NULL,
    label text NOT NULL, reopen boolean NOT NULL,
    PRIMARY KEY (version, pipeline, role)
);
CREATE TABLE rule_stages (
    version bigint NOT NULL REFERENCES rule_versions, pipeline text NOT NULL, stage text NOT NULL,
    label text NOT NULL, position integer NOT NULL, is_open boolean NOT NULL,
    PRIMARY KEY (version, pipeline, stage)
);
CREATE TABLE rule_moves (
    version bigint NOT NULL REFERENCES rule_versions, pipeline text NOT NULL, source text NOT NULL,
    dest text NOT NULL, role text NOT NULL,
    PRIMARY KEY (version, pipeline, source, dest, role)
);
CREATE TABLE rule_requires (
    version bigint NOT NULL REFERENCES rule_versions, pipeline text NOT NULL, stage text NOT NULL,
    position integer NOT NULL, field text NOT NULL, label text NOT NULL,
    when_field text, when_values jsonb,  -- the requirement applies when the field holds one of these values
    PRIMARY KEY (version, pipeline, stage, position)
);

CREATE FUNCTION flowctl_rules_current() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version IS DISTINCT FROM (SELECT max(id) FROM publications) THEN
        RAISE EXCEPTION 'rules are installed for the latest published version only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rule_versions', 'rule_members', 'rule_pipelines', 'rule_roles', 'rule_stages',
                             'rule_moves', 'rule_requires'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_current BEFORE INSERT ON %1$I'
                       ' FOR EACH ROW EXECUTE FUNCTION flowctl_rules_current()', t);
        EXECUTE format('CREATE TRIGGER %1$s_append_only BEFORE UPDATE OR DELETE ON %1$I'
                       ' FOR EACH ROW EXECUTE FUNCTION flowctl_append_only()', t);
        EXECUTE format('CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON %1$I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION flowctl_append_only()', t);
    END LOOP;
END $$;

-- the member acting (session_user) under the latest version's rules; NULL for a superuser
CREATE FUNCTION flowctl_actor() RETURNS rule_members LANGUAGE plpgsql STABLE AS $$
DECLARE
    latest bigint := (SELECT max(id) FROM publications);
    member rule_members;
BEGIN
    SELECT * INTO member FROM rule_members m WHERE m.version = latest AND m.db_role = session_user;
    IF FOUND THEN
        RETURN member;
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM rule_versions r WHERE r.version = latest) THEN
        RAISE EXCEPTION 'the database holds no rules of published version %: the head of sales runs flowctl publish',
            coalesce(latest, 0) USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM flowctl_refuse(latest, '42501', 'db_not_member', session_user::text);
END $$;

-- the workspace power the current transaction declared (store.use_power), if the member holds it
CREATE FUNCTION flowctl_power(member rule_members) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT p FROM (SELECT nullif(current_setting('flowctl.power', true), '') AS p) declared
    WHERE p = ANY (member.powers)
$$;

CREATE FUNCTION flowctl_refuse(v bigint, code text, message text, VARIADIC args text[] DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code,
        MESSAGE = format((SELECT r.messages ->> message FROM rule_versions r WHERE r.version = v), VARIADIC args);
END $$;

-- how many characters of a text a reader sees
CREATE FUNCTION flowctl_seen(value text, unseen text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT char_length(regexp_replace(coalesce(value, ''), unseen, '', 'g'))
$$;

CREATE FUNCTION flowctl_label(v bigint, p text, s text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT st.label FROM rule_stages st WHERE st.version = v AND st.pipeline = p AND st.stage = s), s)
$$;

-- the fields stage s requires that the card leaves blank (requirements whose condition holds)
CREATE FUNCTION flowctl_missing(v bigint, p text, s text, card jsonb, unseen text)
    RETURNS TABLE (field text, label text) LANGUAGE sql STABLE AS $$
    SELECT r.field, r.label FROM rule_requires r
    WHERE r.version = v AND r.pipeline = p AND r.stage = s
      AND (r.when_field IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(r.when_values) w
                                          WHERE w = coalesce(card -> r.when_field, 'null'::jsonb)))
      AND flowctl_seen(card ->> r.field, unseen) = 0
    ORDER BY r.position
$$;

CREATE FUNCTION flowctl_check_deal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member rule_members := flowctl_actor();
    power text := flowctl_power(member);
    v bigint := member.version;
    initial text;
    roles text[];
    unseen text;
    missing text[];
BEGIN
    IF member.login IS NULL THEN
        RETURN NEW;
    END IF;
    -- the columns the reports add up repeat the card's fields: a client cannot make them say something else
    IF NEW.responsible IS DISTINCT FROM NEW.fields ->> 'responsible'
       OR NEW.lead_date IS DISTINCT FROM NEW.fields ->> 'lead_date'
       OR NEW.budget_minor IS DISTINCT FROM (CASE WHEN NEW.fields ->> 'budget' ~ '^-{0,1}[0-9]+[.][0-9]{2}$'
                                                  THEN replace(NEW.fields ->> 'budget', '.', '')::bigint END) THEN
        PERFORM flowctl_refuse(v, '23514', 'db_deal_columns', NEW.id::text);
    END IF;
    IF power IN ('restore', 'migrate') THEN
        RETURN NEW;
    END IF;
    SELECT p.initial_stage INTO initial FROM rule_pipelines p WHERE p.version = v AND p.pipeline = NEW.pipeline;
    roles := ARRAY(SELECT r.role FROM rule_roles r
                   WHERE r.version = v AND r.pipeline = NEW.pipeline AND r.role = ANY (member.roles));
    IF initial IS NULL OR roles = '{}' THEN
        PERFORM flowctl_refuse(v, '42501', 'no_role_in_pipeline', member.login, coalesce(
            (SELECT p.name FROM rule_pipelines p WHERE p.version = v AND p.pipeline = NEW.pipeline), NEW.pipeline));
    END IF;
    unseen := (SELECT r.unseen FROM rule_versions r WHERE r.version = v);
    IF TG_OP = 'INSERT' THEN
        IF NEW.stage <> initial AND power IS DISTINCT FROM 'import' THEN
            PERFORM flowctl_refuse(v, '42501', 'db_deal_starts', flowctl_label(v, NEW.pipeline, initial));
        END IF;
    ELSE
        IF NEW.pipeline <> OLD.pipeline THEN
            PERFORM flowctl_refuse(v, '42501', 'db_deal_pipeline', OLD.id::text);
        END IF;
        IF NOT coalesce((SELECT st.is_open FROM rule_stages st
                         WHERE st.version = v AND st.pipeline = OLD.pipeline AND st.stage = OLD.stage), true)
           AND NOT EXISTS (SELECT 1 FROM rule_roles r WHERE r.version = v AND r.pipeline = OLD.pipeline
                           AND r.reopen AND r.role = ANY (roles)) THEN
            PERFORM flowctl_refuse(v, '23514', 'deal_closed', OLD.id::text, flowctl_label(v, OLD.pipeline, OLD.stage),
                coalesce((SELECT string_agg(r.label, ', ' ORDER BY r.role) FROM rule_roles r
                          WHERE r.version = v AND r.pipeline = OLD.pipeline AND r.reopen), '—'));
        END IF;
        IF NEW.stage = OLD.stage THEN  -- what the stage required to enter it, it still requires
            missing := ARRAY(SELECT m.label FROM flowctl_missing(v, NEW.pipeline, NEW.stage, NEW.fields, unseen) m
                             WHERE m.field <> ALL (ARRAY(SELECT o.field FROM
                                                         flowctl_missing(v, OLD.pipeline, OLD.stage, OLD.fields, unseen) o)));
            IF missing <> '{}' THEN
                PERFORM flowctl_refuse(v, '23514', 'field_required_here', flowctl_label(v, NEW.pipeline, NEW.stage),
                                       array_to_string(missing, ', '));
            END IF;
            RETURN NEW;
        END IF;
        IF power IS DISTINCT FROM 'import' AND NOT EXISTS (
                SELECT 1 FROM rule_moves m WHERE m.version = v AND m.pipeline = NEW.pipeline
                AND m.source = OLD.stage AND m.dest = NEW.stage AND m.role = ANY (roles)) THEN
            IF EXISTS (SELECT 1 FROM rule_moves m WHERE m.version = v AND m.pipeline = NEW.pipeline
                       AND m.source = OLD.stage AND m.dest = NEW.stage) THEN
                PERFORM flowctl_refuse(v, '42501', 'move_role',
                    (SELECT string_agg(DISTINCT r.label, ', ') FROM rule_moves m JOIN rule_roles r
                         ON r.version = m.version AND r.pipeline = m.pipeline AND r.role = m.role
                     WHERE m.version = v AND m.pipeline = NEW.pipeline AND m.source = OLD.stage AND m.dest = NEW.stage),
                    flowctl_label(v, NEW.pipeline, OLD.stage), flowctl_label(v, NEW.pipeline, NEW.stage),
                    (SELECT string_agg(r.label, ', ' ORDER BY r.role) FROM rule_roles r
                     WHERE r.version = v AND r.pipeline = NEW.pipeline AND r.role = ANY (roles)));
            ELSIF EXISTS (SELECT 1 FROM rule_moves m WHERE m.version = v AND m.pipeline = NEW.pipeline
                          AND m.source = OLD.stage) THEN
                PERFORM flowctl_refuse(v, '23514', 'move_not_allowed', flowctl_label(v, NEW.pipeline, OLD.stage),
                    flowctl_label(v, NEW.pipeline, NEW.stage),
                    (SELECT string_agg('«' || st.label || '»', ', ' ORDER BY st.position) FROM rule_stages st
                     WHERE st.version = v AND st.pipeline = NEW.pipeline AND st.stage IN (
                         SELECT m.dest FROM rule_moves m WHERE m.version = v AND m.pipeline = NEW.pipeline
                         AND m.source = OLD.stage)));
            ELSE
                PERFORM flowctl_refuse(v, '23514', 'move_no_targets', flowctl_label(v, NEW.pipeline, OLD.stage));
            END IF;
        END IF;
    END IF;
    missing := ARRAY(SELECT m.label FROM flowctl_missing(v, NEW.pipeline, NEW.stage, NEW.fields, unseen) m);
    IF missing <> '{}' THEN
        PERFORM flowctl_refuse(v, '23514', 'move_missing_fields', flowctl_label(v, NEW.pipeline, NEW.stage),
                               array_to_string(missing, ', '));
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION flowctl_check_task() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member rule_members := flowctl_actor();
    v bigint := member.version;
    rules rule_pipelines;
BEGIN
    IF member.login IS NULL OR flowctl_power(member) IN ('restore', 'migrate') THEN
        RETURN NEW;
    END IF;
    SELECT p.* INTO rules FROM rule_pipelines p JOIN deals d ON d.pipeline = p.pipeline
        WHERE p.version = v AND d.id = NEW.deal_id;
    IF rules.pipeline IS NULL OR NOT EXISTS (SELECT 1 FROM rule_roles r WHERE r.version = v
                                             AND r.pipeline = rules.pipeline AND r.role = ANY (member.roles)) THEN
        PERFORM flowctl_refuse(v, '42501', 'no_role_in_pipeline', member.login,
                               coalesce(rules.name, (SELECT d.pipeline FROM deals d WHERE d.id = NEW.deal_id)));
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            PERFORM flowctl_refuse(v, '23514', 'db_task_starts_open', NEW.id::text);
        END IF;
        IF NEW.created_by <> member.login THEN
            PERFORM flowctl_refuse(v, '42501', 'db_not_you', NEW.created_by, member.login);
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'open' THEN
        PERFORM flowctl_refuse(v, '23514', 'task_not_open', OLD.id::text, OLD.status);
    END IF;
    IF NEW.deal_id <> OLD.deal_id THEN
        PERFORM flowctl_refuse(v, '23514', 'db_task_deal', OLD.id::text);
    END IF;
    IF NEW.status = 'done' THEN
        IF flowctl_seen(NEW.result, (SELECT r.unseen FROM rule_versions r WHERE r.version = v))
                < rules.result_min_length THEN
            PERFORM flowctl_refuse(v, '23514', 'task_needs_result', rules.result_min_length::text);
        END IF;
        IF NEW.contact_kind IS NULL OR NOT NEW.contact_kind = ANY (rules.contact_kinds) THEN
            PERFORM flowctl_refuse(v, '23514', 'task_needs_contact', array_to_string(rules.contact_kinds, ', '));
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION flowctl_check_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member rule_members := flowctl_actor();
BEGIN
    IF member.login IS NOT NULL AND flowctl_power(member) IS DISTINCT FROM 'restore' AND NEW.actor <> member.login THEN
        PERFORM flowctl_refuse(member.version, '42501', 'db_not_you', NEW.actor, member.login);
    END IF;
    RETURN NEW;
END $$;

-- the first version, and versions a restore brings, come before any rules: the table's privilege guards those
CREATE FUNCTION flowctl_check_publication() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member rule_members;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rule_versions r WHERE r.version = (SELECT max(id) FROM publications)) THEN
        RETURN NEW;
    END IF;
    member := flowctl_actor();
    IF member.login IS NULL OR flowctl_power(member) = 'restore' THEN
        RETURN NEW;
    END IF;
    IF NOT 'publish' = ANY (member.powers) THEN
        PERFORM flowctl_refuse(member.version, '42501', 'db_publish_refused', member.login,
            coalesce((SELECT string_agg(m.login, ', ' ORDER BY m.login) FROM rule_members m
                      WHERE m.version = member.version AND 'publish' = ANY (m.powers)), '—'));
    END IF;
    IF NEW.actor <> member.login THEN
        PERFORM flowctl_refuse(member.version, '42501', 'db_not_you', NEW.actor, member.login);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER deals_rules BEFORE INSERT OR UPDATE ON deals FOR EACH ROW EXECUTE FUNCTION flowctl_check_deal();
CREATE TRIGGER tasks_rules BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION flowctl_check_task();
CREATE TRIGGER events_actor BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION flowctl_check_event();
CREATE TRIGGER publications_actor BEFORE INSERT ON publications
    FOR EACH ROW EXECUTE FUNCTION flowctl_check_publication();

-- a store upgraded to this version: whoever could read or add published versions may read or add their rules
DO $$
DECLARE
    grant_ record;
    t text;
BEGIN
    FOR grant_ IN SELECT DISTINCT a.grantee::regrole AS role, a.privilege_type AS privilege
                  FROM pg_class c, aclexplode(c.relacl) a
                  WHERE c.oid = 'publications'::regclass AND a.grantee <> c.relowner AND a.grantee <> 0
                    AND a.privilege_type IN ('SELECT', 'INSERT') LOOP
        FOREACH t IN ARRAY ARRAY['rule_versions', 'rule_members', 'rule_pipelines', 'rule_roles', 'rule_stages',
                                 'rule_moves', 'rule_requires'] LOOP
            EXECUTE format('GRANT %s ON %I TO %s', grant_.privilege, t, grant_.role);
        END LOOP;
    END LOOP;
END $$;

""" + _pinned(FUNCTIONS)


def character_class(ranges) -> str:
    """(first, last) code point ranges as a PostgreSQL regular-expression bracket expression."""
    def point(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return "[" + "".join(point(a) if a == b else f"{point(a)}-{point(b)}" for a, b in ranges) + "]"


def _field_meanings_schema() -> str:
    """Migration 4: the fields each pipeline declares as its owner, money and lead date (`meaning:`), which the
    report columns repeat. Migration 3 compared those columns with the fixed keys responsible, budget and
    lead_date; its deal check is taken as shipped and only those three keys become the published fields' ids,
    so the two versions of the check cannot drift apart."""
    start = RULES_SCHEMA.index("CREATE FUNCTION flowctl_check_deal()")
    check = RULES_SCHEMA[start:RULES_SCHEMA.index("END $$;", start) + len("END $$;")]
    changes = (
        ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        ("    missing text[];\n", "    missing text[];\n    card rule_pipelines;\n"),
        ("    -- the columns the reports add up",
         "    SELECT p.* INTO card FROM rule_pipelines p WHERE p.version = v AND p.pipeline = NEW.pipeline;\n"
         "    -- the columns the reports add up"),
        ("NEW.fields ->> 'responsible'", "NEW.fields ->> coalesce(card.owner_field, 'responsible')"),
        ("NEW.fields ->> 'lead_date'", "NEW.fields ->> coalesce(card.lead_field, 'lead_date')"),
        ("NEW.fields ->> 'budget'", "NEW.fields ->> coalesce(card.money_field, 'budget')"),
    )
    for old, new in changes:
        if old not in check:
            raise RuntimeError(f"migration 3's deal check no longer holds {old!r}")
        check = check.replace(old, new)
    return ("ALTER TABLE rule_pipelines ADD COLUMN owner_field text NOT NULL DEFAULT 'responsible',"
            " ADD COLUMN money_field text NOT NULL DEFAULT 'budget',"
            " ADD COLUMN lead_field text NOT NULL DEFAULT 'lead_date';\n" + check + "\n" + _pinned(
                ("flowctl_check_deal()",)))


FIELD_MEANINGS_SCHEMA = _field_meanings_schema()
