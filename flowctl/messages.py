"""Every message a user reads, in one place so that it can be translated.

Labels of stages, fields, roles and tasks come from the pipeline YAML (Russian
for the roofing customer); the sentences around them live here.
"""

from __future__ import annotations

from flowctl import language
from flowctl.text import CONTROL

TEXTS: dict[str, str] = {
    # loading YAML
    "file_missing": "file not found",
    "file_unreadable": "cannot read the file: {reason}",
    "file_too_large": "file is larger than {limit} bytes, the most a pipeline file may be",
    "not_utf8": "file is not UTF-8 (byte 0x{byte:02x}); save it as UTF-8",
    "yaml_syntax": "YAML syntax: {reason}",
    "yaml_empty": "file is empty",
    "yaml_many_documents": "file holds more than one YAML document; keep one pipeline per file",
    "yaml_complex_key": "mapping keys must be plain scalars",
    "yaml_duplicate_key": "key '{key}' appears twice (first on line {line}); YAML would silently keep the last",
    "yaml_too_deep": "nesting deeper than {limit} levels",
    "yaml_too_many_nodes": "more than {limit} nodes once aliases are expanded (an alias bomb?)",
    # schema
    "schema_unknown_key": "unknown key '{key}'{hint}",
    "schema_missing_key": "missing required key '{key}'",
    "schema_enum": "'{value}' is not one of: {allowed}{hint}",
    "schema_bad_id": "'{value}' is not a valid id: use lower-case ASCII letters, digits and _, starting with a letter",
    "schema_bad_duration": "'{value}' is not a duration: write a number and m, h or d (15m, 2h, 14d)",
    "schema_const": "'{value}' must be {expected}",
    "schema_type": "{value!r} must be of type {expected}",
    "schema_options_not_enum": "only enum fields take options",
    "schema_unquoted_time": "{value!r} is not a time: write it in quotes, like \"18:00\" (YAML reads an unquoted 18:00 as the number 1080)",
    "schema_quarter_hour": "'{value}' is not a time on a quarter hour: write \"HH:MM\" with the minutes 00, 15, 30 or 45, like \"09:00\" or \"17:45\"",
    "schema_not_past_type": "only date and datetime fields take not_past, not a field of type {type}",
    "schema_min_items": "{value!r} must hold at least {limit} item(s)",
    "schema_min_length": "{value!r} must be at least {limit} character(s) long",
    "schema_max_length": "{value!r} must be at most {limit} characters long",
    "schema_minimum": "{value!r} must be {limit} or more",
    "schema_maximum": "{value!r} must be {limit} or less",
    "schema_unique": "{value!r} lists an item twice",
    "schema_pattern": "{value!r} does not have the required form ({limit})",
    # lint
    "lint_duplicate_id": "id '{id}' is already used on line {first}",
    "lint_duplicate_label": "label «{label}» is already used on line {first}",
    "lint_unknown": "unknown {what} '{id}'{hint}",
    "lint_unknown_option": "'{value}' is not an option of field '{field}'{hint}",
    "lint_initial_closed": "the first stage «{label}» is where deals start; it must be open",
    "lint_unreachable": "stage «{label}» cannot be reached from «{initial}»",
    "lint_dead_end": "from stage «{label}» no won or lost stage can be reached: deals would be stuck",
    "lint_closed_exit": "role '{role}' may not move a deal out of closed stage '{stage}': only a role with reopen: true may",
    "lint_no_role": "no role may make the move {source} → {dest}",
    "lint_duplicate_transition": "the move {source} → {dest} is listed twice",
    "lint_agenda_missing": "the agenda does not place open stage «{label}»; its tasks would come last",
    "lint_agenda_duplicate": "stage '{id}' appears twice in the agenda",
    "lint_correction_not_backward": "the move {source} → {dest} is marked a correction, but a correction goes back from an open stage to an earlier open one",
    "lint_on_enter_closed": "stage «{label}» is closed; tasks created on entering it would be left open forever",
    "lint_rename_target": "rename {old} → {new}: '{new}' is not defined{hint}",
    "lint_rename_source": "rename of '{old}': '{old}' is still defined, so the rename would be ambiguous",
    "lint_hidden": "invisible character {code} in «{text}»: it looks like another label and matches nothing typed",
    "lint_mixed_script": "«{word}» mixes Latin and Cyrillic letters (in «{text}»)",
    "lint_meaning_twice": "meaning {meaning} is already given to field '{first}' (line {line}); one field holds each meaning",
    "lint_meaning_type": "a field of meaning {meaning} must be of type {types}, not {type}",
    "lint_no_money_field": "no deal field is the money (declare meaning: money on one, or call it {conventional}): the forecast of plan_stages would add up zeros",
    # validate
    "validate_ok": "{count} file(s) checked, no problems",
    "validate_summary": "{errors} error(s), {warnings} warning(s) in {files} file(s)",
    "validate_store": "{errors} change(s) would strand data in {store}",
    "validate_store_ok": "the data in {store} fits",
    "validate_no_files": "no pipeline files found (looked for {where})",
    # pipelines
    "pipeline_unknown": "unknown pipeline '{name}'{hint}; pipelines: {known}",
    "pipeline_choose": "the workspace has several pipelines: name one with --pipeline ({known}), or declare default_pipeline in {config}",
    "pipeline_gone_readonly": "this workspace no longer has pipeline '{pipeline}': its deals can be read, not changed (put the pipeline's file back first)",
    "pipeline_gone_warning": "warning: deals of pipeline '{pipeline}' are shown as stored, read-only: the workspace no longer has that pipeline",
    "stage_unknown": "unknown stage '{name}'{hint}",
    "move_not_allowed": "cannot move from «{source}» to «{dest}»; from «{source}» you can go to: {targets}",
    "move_no_targets": "cannot move from «{source}»: it is a closed stage with no way out",
    "move_role": "only {roles} may move a deal from «{source}» to «{dest}»; you are {actor}",
    "move_missing_fields": "«{dest}» needs: {fields}",
    "move_same_stage": "the deal is already in «{stage}»",
    "move_needs_comment": "«{source}» → «{dest}» is a correction: say why with --comment \"…\" (it is kept in the history)",
    "advance_fields_not_saved": "the --field values were not saved: give them again with the move, or save them first with `flowctl deal set {id} …`",
    "deal_not_yours": "deal #{id} is {owner}'s: only {roles} may work a colleague's deal",
    "deal_reassign_refused": "deal #{id} is {owner}'s: only {roles} may hand a deal to someone else",
    "deal_new_for_other": "a new deal is yours: only {roles} may give it to {name}",
    "deal_closed": "deal #{id} is closed («{stage}»): only {roles} may change it",
    "move_condition_contact_made": "«{source}» → «{dest}» needs a contact with the client first: complete a task with --contact",
    "move_condition_tasks_done": "«{source}» → «{dest}» needs the deal's open tasks completed first ({count} open)",
    # workspace and store
    "no_workspace": "no {name} here or in any parent folder; run `flowctl init` to create a workspace",
    "bad_timezone": "unknown time zone '{tz}' (use an IANA name such as Europe/Moscow)",
    "working_hours_order": "working_hours: the day ends at {closes}, which is not after it starts ({opens}); hours span one day",
    "user_unknown": "no team member '{login}'{hint}",
    "team_duplicate": "login '{login}' appears twice in the team",
    "team_unknown_role": "{config}: team member '{login}' has role '{role}', which no pipeline defines{hint}",
    "pipelines_missing": "no pipeline file at '{entry}'",
    "not_in_team": "'{login}' is not a member of the team in {config}; use --as LOGIN or FLOWCTL_USER",
    "no_role_in_pipeline": "'{login}' holds no role of pipeline «{pipeline}»",
    "store_missing": "there is no store at {store}: `flowctl init` creates one, `flowctl import all` restores an export into a new one",
    "store_busy": "the store {store} is busy (another command holds it); try again",
    "store_damaged": "the store {store} cannot be read: {reason}",
    "store_too_new": "the store {store} has schema version {version}, newer than this flowctl; upgrade flowctl",
    "store_unknown_kind": "cannot tell the kind of store '{store}': use a path ending .db, .sqlite or .json, or a sqlite://, json:// or postgresql:// URL",
    "demo_keep_not_empty": "{path} is not empty; the demo keeps its workspace only in a new or empty folder",
    "init_exists": "{path} already exists; flowctl init never overwrites a workspace",
    "init_bad_login": "'{login}' is not a login: use letters, digits and . _ @ -",
    "init_bad_roles": "'{roles}' is not a comma-separated list of role ids",
    "init_done": "created workspace {path}: pipelines {pipelines}, store {store}, team member {login} ({roles})",
    # contacts and deals
    "assignment_syntax": "'{text}' is not key=value",
    "field_unknown": "unknown field '{name}'{hint}",
    "contact_unknown": "no contact #{id}",
    "contact_missing": "a contact needs: {fields}",
    "contact_phone_taken": "phone {phone} already belongs to contact #{id} {name}",
    "contact_find_blank": "say what to look for: a part of a name or of a phone",
    "contact_no_match": "no contact matches «{text}»",
    "contact_ambiguous": "«{text}» matches several contacts ({count}): {candidates}; give the id, the phone or more of the name",
    "contact_deal_refused": "{field} is the contact's and kept the same on its open deals, and deal #{id} refuses it: {reason}",
    "deal_unknown": "no deal #{id}",
    "field_required_here": "«{stage}» requires {fields}; it cannot be cleared while the deal is there",
    "sort_unknown": "unknown sort '{sort}'; use one of: {allowed}",
    "deal_list_empty": "no deals",
    # tasks
    "label_task_text": "task text",
    "label_result": "result",
    "label_reason": "reason",
    "label_comment": "comment",
    "task_unknown": "no task #{id}",
    "task_type_unknown": "unknown task type '{name}'{hint}; types: {known}",
    "task_needs_contact": "a task is completed only after a contact with the client (L2): add --contact {kinds}",
    "contact_kind_unknown": "unknown kind of contact '{kind}'; use one of: {kinds}",
    "task_needs_result": "a task is completed only with a comment describing the result (L3): add --result \"…\" (at least {minimum} characters)",
    "task_in_past": "'{when}' is in the past; pass --past to record a task due then",
    "task_on_closed_deal": "deal #{id} is closed («{stage}»); reopen it before setting tasks",
    "task_not_open": "task #{id} is {status}, not open",
    "postpone_needs_reason": "postponing a task needs --reason \"…\" (it is kept in the history)",
    "cancel_needs_reason": "cancelling a task needs --reason \"…\" (it is kept in the history)",
    "task_cancel_refused": "task #{id} is {owner}'s: only {who} may cancel it",
    "task_reassign_refused": "task #{id} is {owner}'s: only {who} may hand it to someone else",
    "task_reassign_same": "task #{id} is already {name}'s",
    "who_responsible": "the member it is for",
    "who_creator": "who set it",
    "task_list_empty": "no tasks",
    "task_list_empty_open": "no open tasks (--all lists the done and cancelled ones too)",
    # typed field values (flowctl/fields.py): the field's label comes first
    "field_text_control": "{label}: control characters (line breaks, tabs, direction marks) are not allowed",
    "field_text_too_long": "{label}: the text is {length} characters long; at most {limit} are allowed",
    "field_integer": "{label}: '{raw}' is not a whole number (e.g. 12 or 1 000)",
    "field_too_many_digits": "{label}: '{raw}' is too large; at most {limit} digits before the decimal point",
    "field_money": "{label}: '{raw}' is not an amount of money (e.g. 350 000,50)",
    "field_money_decimals": "{label}: '{raw}' has more than 2 digits after the decimal point;"
                            " write thousands with a space (1 000)",
    "field_money_negative": "{label}: '{raw}' is negative; the amount must be 0 or more",
    "field_below_min": "{label}: {value} is less than the minimum, {limit}",
    "field_above_max": "{label}: {value} is more than the maximum, {limit}",
    "field_date": "{label}: '{raw}' is not a date (e.g. 29.11.2026, 29.11, 2026-11-29, сегодня or через 2 недели)",
    "field_date_needs_today": "{label}: '{raw}' needs today's date, which is unknown here; type the date (29.11.2026)",
    "field_no_such_day": "{label}: there is no such day as '{raw}'",
    "field_date_no_year": "{label}: '{raw}' does not give its year in four digits, and the year of history is not guessed (write 14.12.2026)",
    "field_in_past": "{label}: {value} has already passed; this field asks when it will be, so give {today} or later",
    "field_datetime": "{label}: '{raw}' is not a date and time (e.g. 2026-11-29 15:00 or 29.11.2026 15:00)",
    "field_no_such_time": "{label}: there is no such time of day as '{raw}'",
    "field_enum": "{label}: '{raw}' is not one of: {options}",
    "field_phone": "{label}: '{raw}' is not a phone number (e.g. +7 912 345-67-89 or 8 912 345-67-89)",
    "field_user_unknown": "{label}: '{raw}' is not in the team; known logins: {logins}",
    "field_user_no_team": "{label}: '{raw}' is not in the team, which has no members yet",
    "field_boolean": "{label}: '{raw}' is not yes or no (type да or нет)",
    "field_yes": "да",
    "field_no": "нет",
    # dates and times people type (flowctl/when.py)
    "when_examples": "today 15:00, tomorrow 10:00, +2d, +3h, friday, 2026-12-01 15:00, 01.12.2026",
    "when_unknown": "cannot read '{text}' as a date or time; write e.g. {examples}",
    "when_bad_date": "'{text}' is not a calendar date; write e.g. {examples}",
    "when_no_year": "'{text}' does not give its year in four digits, and the year of history is not guessed (write 14.12.2026)",
    "when_bad_time": "'{text}' is not a time of day (00:00 to 23:59); write e.g. {examples}",
    "when_out_of_range": "'{text}' is too far from today; write e.g. {examples}",
    # agenda and hygiene
    "check_no_task": "open deal without an open task: set the next task (T1)",
    "check_overdue": "task #{task} «{type}» is overdue (L1)",
    "check_stage_limit": "in «{stage}» longer than {limit}",
    "check_missing": "«{stage}» requires {fields}, which is empty",
    "check_clean": "nothing breaks the rules",
    "agenda_empty": "no tasks for {name} on {day}",
    # the board (flowctl board): a column per open stage
    "board_figures": "{deals}, {budget}",
    "board_title": "«{pipeline}»: {figures}",
    "board_title_user": "«{pipeline}», {name}: {figures}",
    "board_more": "+{count} more",
    "board_mark_over_limit": "{mark} longer in the stage than its limit (max_stay)",
    "board_mark_overdue": "{mark} an overdue task (L1)",
    # what a config change does to the data (validate --store) and migrate
    "plan_pipeline_gone": "pipeline '{subject}' is gone but {count} deals belong to it (e.g. {examples})",
    "plan_stage_gone": "stage '{subject}' is gone or renamed without a rename, and {count} deals sit in it (e.g. {examples}); declare `renames: stages: {{{subject}: new_id}}` or keep the stage",
    "plan_field_gone": "field '{subject}' is gone or renamed without a rename, and {count} deals hold a value (e.g. {examples})",
    "plan_field_type": "field '{subject}' is now of type {type}, and {count} stored values are not (e.g. {examples})",
    "plan_option_gone": "option '{subject}' is gone but {count} deals use it (e.g. {examples})",
    "plan_newly_required": "«{stage}» now requires {field}, which {count} open deals there lack (e.g. {examples})",
    "plan_stage_rename": "{count} deals will move from stage '{subject}' to '{new}' on `flowctl migrate` (e.g. {examples})",
    "plan_field_rename": "{count} deals will have field '{subject}' renamed to '{new}' on `flowctl migrate` (e.g. {examples})",
    "migrate_done": "migrated {deals} deals ({events} history events); nothing else to migrate",
    "migrate_nothing": "nothing to migrate: no deal holds a renamed stage or field",
    "migrate_blocked": "migrate would strand data; fix what `flowctl validate --store` reports first: {first}",
    # reports
    "month_format": "'{month}' is not a month; write e.g. 2026-12, 12.2026 or December 2026",
    "clock_pinned": "FLOWCTL_NOW '{value}' is not a moment like 2026-11-30T06:00:00Z between the years {first} and {last}",
    "month_range": "'{month}' is out of range: a month from {first}-01 to {last}-12",
    "forecast_won": "won in {month} (money in the cash register)",
    "forecast_total": "plan for {month}: {total}",
    "forecast_total_all": "all pipelines, {month}: {total}",
    "report_period_reversed": "--from {start} is after --to {end}: no day is in that period; swap them",
    # the HTML report (flowctl/render_html.py)
    "html_title": "Sales report",
    "html_pipelines": "Pipelines",
    "html_period": "Deals by lead date",
    "html_period_all": "all",
    "html_period_between": "{start} – {end}",
    "html_period_from": "from {start}",
    "html_period_to": "up to {end}",
    "html_month": "Plan month",
    "html_generated": "Generated",
    "html_generated_by": "{moment} by {name}",
    "html_contents": "Contents",
    "html_funnel": "Funnel",
    "html_funnel_note": "Bars: the deals that entered each stage (light) and those that went on from it (dark).",
    "html_plan": "Plan for {month}",
    "html_plan_note": "The open budget of the plan stages beside the money already in the cash register; «in the"
                      " plan» weighs each stage's budget by its probability.",
    "html_plan_open": "open in the plan stages",
    "html_plan_won": "won (money in the cash register)",
    "html_plan_total": "plan for the month",
    "html_plan_all_weighted": "weighted by the stages' probabilities: {total}",
    "html_won_months": "Won per month, the last twelve months",
    "html_velocity": "Time in stage",
    "html_velocity_note": "Finished stays: the median (dark) and the 90th percentile (light) against the stage's limit"
                          " (the line); each row is drawn to its own scale.",
    "html_hygiene": "Information hygiene",
    "html_hygiene_note": "What breaks the rules right now, as flowctl check finds it.",
    "html_rule_no-task": "deals without an open task",
    "html_rule_overdue": "overdue tasks",
    "html_rule_stage-limit": "deals in a stage longer than its limit",
    "html_rule_missing-field": "deals without a field their stage requires",
    "html_hygiene_total": "findings in all",
    "html_managers": "Managers",
    "html_managers_note": "Deals by their responsible; tasks of every pipeline, done in the period and overdue now.",
    "html_all_pipelines": "All pipelines",
    "html_footer": "Made by flowctl report html. Every figure is the one that flowctl report funnel, forecast, managers"
                   " and velocity and flowctl check give for the same pipelines, period and month.",
    "html_months": "January February March April May June July August September October November December",
    "html_months_short": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    # import and export
    "import_empty": "{path} has no header row",
    "import_map_syntax": "'{text}' is not a mapping; write \"Source column=field\"",
    "import_map_target": "column '{column}' is mapped to unknown field '{target}'{hint}",
    "import_mapping_file": "{path}: a mapping file holds columns: {{source: target, …}}, stages: {{source: stage, …}}, id_column: …, date_format: …, created: …, stage_dates: {{stage: column, …}}, values: {{column: {{source: value, …}}}} and history_columns: {{id: …, stage: …, at: …, who: …}}",
    "import_no_id_column": "there is no column '{column}' (given with --id-column)",
    "import_stage_unknown": "unknown stage '{stage}'{hint}; map it with --stage-map '{stage}=<stage>'",
    "import_contact_unknown": "no contact '{ref}' (give its id in the source, its flowctl id or its phone)",
    "import_responsible": "responsible '{login}' is not in the team",
    "import_ignored": "columns not imported (map them with --map): {columns}",
    "import_summary": "{source}: {created} to create, {updated} to update, {unchanged} unchanged, {refused} refused; {outcome}",
    "import_written": "written",
    "import_action_create": "create",
    "import_action_update": "update",
    "import_action_unchanged": "unchanged",
    "import_action_refused": "refused",
    "import_not_written": "nothing written",
    "restore_format": "not a flowctl export (make one with `flowctl export all --format json`)",
    "restore_rules_differ": "the export's rules (version {version}, published by {actor} at {at}) differ from your files: {what}; restore with the files that were published, then publish the new ones",
    "restore_publish_first": "the export holds no published rules, and {store} checks every row against the published ones: publish the rules into it first (flowctl publish), then restore",
    "restore_not_empty": "the store {store} is not empty; restore an export into a new store (--store new.db)",
    "restore_done": "restored {contacts} contacts, {deals} deals, {tasks} tasks, {history} history events, {publications} published versions",
    "restore_too_large": "the file is larger than {limit} bytes, more than any export",
    "restore_not_export": "the format or version is not flowctl-export 1",
    "restore_not_object": "not a JSON object",
    "restore_unknown_key": "unknown key '{key}'",
    "restore_missing_key": "missing key '{key}'",
    "restore_bad_id": "{what} {value!r} is not a whole number of 1 or more",
    "restore_duplicate_id": "id {id} appears twice",
    "restore_event_order": "history event {id} is out of order: events are listed by increasing id",
    "restore_bad_time": "{what} {value!r} is not a stored UTC time like 2026-11-30T06:00:00Z",
    "restore_bad_text": "{what} {value!r} is not a line of printable text",
    "restore_bad_fields": "{what} is not an object of field values",
    "restore_unknown_field": "field '{field}' is not a field of {what}",
    "restore_bad_value": "{field}: {value!r} is not a value of this field (as flowctl stores it)",
    "restore_unknown_pipeline": "pipeline {pipeline!r} is not one of this workspace's",
    "restore_unknown_stage": "stage {stage!r} is not a stage of {pipeline}",
    "restore_missing_row": "{what} {id!r} is not in the file",
    "restore_unknown_task_type": "task type {type!r} is not a task type of {pipeline}",
    "restore_bad_status": "task status {status!r} is not open, done or cancelled",
    "restore_open_task_closed_deal": "an open task on deal #{deal}, which is closed («{stage}»)",
    "restore_bad_publication": "published version {version} is not what was published (its digest does not match its content)",
    "restore_refused": "{count} bad rows in {path}; nothing was written",
    "list_more": "… and {count} more",
    "export_kind": "unknown export '{kind}'; use one of: {kinds}",
    "stage_gone": "the store has deals in stage '{stage}', which pipeline {pipeline} no longer defines; restore it or migrate the deals",
    "number_too_large": "a number is too large to be an id",
    "not_text": "the command line holds bytes that are not text in this locale (use UTF-8)",
    # what commands say when they succeed, and the cards
    "contact_created": "created contact #{id} {name}",
    "contact_updated": "contact #{id} {name} updated",
    "deal_created": "created deal #{id} in «{stage}»",
    "deal_updated": "deal #{id} updated",
    "deal_moved": "deal #{id} → «{stage}»",
    "task_added": "task #{id} on deal #{deal}: {text}, due {due}",
    "task_done": "task #{id} done",
    "task_postponed": "task #{id} now due {due}",
    "task_cancelled": "task #{id} cancelled",
    "task_reassigned": "task #{id} is now {name}'s",
    "dry_run_suffix": " (dry run: nothing written)",
    "agenda_title": "Agenda of {name} ({login}) for {day}",
    "deal_card_title": "Deal #{id} · {pipeline} · «{stage}» since {since}",
    "deal_card_contact": "Contact: #{id} {name}",
    "card_contact": "Contact #{id} {name}",
    "card_deals": "Deals: {count}",
    "card_deal": "  #{id} «{stage}» ({pipeline}), responsible {who}",
    "card_task": "    task #{id} {type} · due {due} · {status}",
    # the history, as `deal history` tells it
    "h_stage": "stage: «{source}» → «{dest}»",
    "h_field": "{field}: {old} → {new}",
    "h_created": "created in «{stage}»",
    "h_imported": "imported from {source} line {line} into «{stage}»",
    "h_task_added": "task #{task} {text} due {due} for {who}",
    "h_task_done": "task #{task} done ({contact}): {result}",
    "h_task_postponed": "task #{task} postponed {old} → {new}: {reason}",
    "h_task_cancelled": "task #{task} cancelled on leaving «{stage}»",
    "h_task_cancelled_reason": "task #{task} cancelled: {reason}",
    "h_task_reassigned": "task #{task} handed over {old} → {new}",
    "h_task_followed": "task #{task} went with the deal {old} → {new}",
    "h_stage_correction": "stage: «{source}» → «{dest}», a correction: {comment}",
    "h_migrated": "migrated: {moves}",
    # the demo
    "demo_intro": "flowctl demo: the worked example of the «Кровля» regulation (E1–E4), acting as anna (manager).",
    "demo_refused": "(refused as the regulation demands: exit code {code})",
    "demo_unexpected": "!! not as the regulation says: {problems}",
    "demo_kept": "The demo workspace is in {path}: cd there and try `FLOWCTL_USER=anna flowctl agenda`.",
    "demo_failed": "the demo did not go as the regulation says; please report it",
    "graph_format": "unknown graph format '{fmt}'; use mermaid or dot",
    "format_unknown": "unknown format '{fmt}'; use one of: {allowed}",
    "internal_error": "internal error: {error} (run again with --traceback and report it)",
    "completion_shell": "flowctl completes bash, zsh and fish, not {shell} ({shells})",
    "completion_unwritable": "the completion script cannot be written: {reason}",
    "completion_installed": "{shell} completion installed in {path}; a new terminal completes flowctl's commands",
    # workspace powers and cache
    "power_import": "import deals or contacts",
    "power_restore": "restore an export",
    "power_migrate": "migrate the store's data",
    "power_publish": "publish the pipelines and the team",
    # publishing the rules into the store
    "published_nothing": "nothing has been published in {store} yet: the head of sales publishes the pipelines and the team first (flowctl publish)",
    "published_differs": "your files differ from the rules published in the store (version {version}, by {actor} at {at}): {what}; take the published files, or have them published (flowctl publish)",
    "published_pipeline_changed": "pipeline file {name} changed",
    "published_pipeline_new": "pipeline file {name} is not published",
    "published_pipeline_missing": "published pipeline file {name} is missing here",
    "published_team_changed": "the team changed",
    "published_powers_changed": "the powers changed",
    "published_timezone_changed": "the time zone changed",
    "published_working_hours_changed": "the working hours changed",
    "publish_blocked": "not published: the change would strand data ({count} problem(s)); first: {first}",
    "publish_refused": "'{login}' may not publish: in the published version {version} the power publish belongs to {roles}",
    "publish_done": "published version {version}: {pipelines}; a team of {team}",
    "publish_unchanged": "nothing to publish: the files are version {version}",
    "publish_rules_installed": "the files are version {version}; the database now checks its rules too",
    "power_refused": "'{login}' may not {action}: the workspace power '{power}' belongs to {roles} (powers: in {config})",
    "power_undeclared": "nobody may {action}: the workspace power '{power}' is not given to any role; name the roles that hold it under powers: in {config}, e.g. `powers: {{{power}: [head]}}`",
    "power_unknown_role": "{config}: powers: {power} names role '{role}', which no pipeline defines{hint}",
    "lint_role_conflict": "role '{id}' (label «{label}», reopen: {reopen}) is defined differently in {other}:{line} (label «{other_label}», reopen: {other_reopen}); a role id must mean one role in every pipeline of a workspace",
    # csv import
    "csv_too_large": "{path} is larger than {limit} bytes, the most an import reads",
    "csv_line_too_long": "{path} line {line} is longer than {limit} bytes; is it a CSV file?",
    "csv_encoding": "{path} line {line}: byte 0x{byte:02x} is not {encoding}, the encoding of the lines before it; save the whole file in one encoding",
    "csv_cell_too_long": "{path} line {line}: a cell is longer than {limit} characters, more than any field holds; nothing was imported",
    "csv_quoting": "{path} line {line} is not standard CSV ({reason}): quote a cell with \" and double each \" inside it; nothing was imported",
    "csv_cells": "the row has {count} cells and the header {expected}",
    "import_date_format": "{path} line {line}, column '{column}': {reason}; nothing was imported: every date of a file is read {how} (if this file writes dates another way, say how with --date-format, e.g. --date-format MM/DD/YYYY)",
    "date_read_day_first": "day first",
    "date_read_as": "as {format}",
    "date_format_bad": "'{spec}' is not a date format for --date-format or date_format:; write DD, MM and YYYY once each, separated by . / - or a space (DD.MM.YYYY, MM/DD/YYYY, YYYY-MM-DD)",
    "field_date_format": "{label}: '{raw}' is not a date written {format}",
    "import_clears": "clears {fields}",
    "import_date_before_created": "the file says the deal entered «{stage}» on {at}, before it was created ({created})",
    "import_date_beyond": "the file dates «{stage}» ({at}), a stage after «{current}», where the deal is",
    "import_dates_disorder": "the file says the deal entered «{later}» on {later_at}, before «{earlier}» on {earlier_at}, which comes first in the pipeline",
    "import_no_owner": "no column says who owns each deal: map one to {field} (--map COLUMN={field}), or say who gets them all with --owner LOGIN",
    "import_owner_blank": "the row names no owner ({field} is blank) and no --owner is given",
    "import_value_map_syntax": "'{text}' is not a value mapping; write COLUMN:SOURCE=TARGET",
    "import_no_column": "there is no column '{column}' (named by {what})",
    "import_history_columns": "{path} has no column '{column}' ({what}); name the history file's columns under history_columns: in the mapping file",
    "import_history_row": "{path} line {line}: {reason}; nothing was imported",
    "h_stage_estimated": "stage: «{source}» → «{dest}» (imported without a date: dated as the stage before)",
    "report_won_undated": "{count} of the deals won in {month} were imported as won with no closing date: they count in the month of the import",
    "report_undated": "{count} of these deals came in past the first stage with no dated history (imported without stage dates): the stages before it are not counted",
    "import_sets": "sets {fields}",
    "export_unwritable": "cannot write {path}: {reason}",
    "standard_output": "standard output",
    # store hardening
    "store_not_file": "{store} is not a regular file (a folder, a device or a pipe); a store is a file",
    "store_not_flowctl": "{store} is not a flowctl store ({reason}); it was left as it was",
    "store_not_sqlite": "not an SQLite database",
    "store_not_json_store": "not a flowctl JSON store",
    "store_foreign_sqlite": "an SQLite database of another application",
    "store_empty": "it is empty; `flowctl init` creates a store, `flowctl import all` restores one",
    "store_too_old": "the store {store} has schema version {version}, older than this flowctl's {current}; read commands do not upgrade a store: the next command that writes to it will",
    "store_corrupt": "the store {store} is damaged: {reason}",
    "store_row_lacks": "{kind} {id} lacks {keys}",
    "store_row_not_object": "a published version is not a JSON object",
    "store_bad_clock": "its pinned clock {value!r} is not a UTC time like 2026-11-30T06:00:00Z",
    "store_unreachable": "the store {store} cannot be reached: {reason}",
    "store_foreign_database": "the database holds tables of something else",
    "store_refused": "the store {store} refused: {reason}",
    "not_in_team_database": "the database role '{role}' is not a member of the team in {config} (a member connects as their login, or as their database_role)",
    "server_identity_claimed": "on a PostgreSQL store you act as the role the server authenticated; --as and FLOWCTL_USER are refused there (connect as the member: PGUSER, the URL's user, ~/.pgpass)",
    # the PostgreSQL store's triggers (services/rules.py): what the database itself refuses, to any client
    "db_not_member": "the database role '{role}' is not a member of the published team",
    "db_not_you": "the history says who acted: '{claimed}' is not you ('{login}')",
    "db_deal_starts": "a new deal starts in «{stage}»; only an import places one elsewhere",
    "db_deal_pipeline": "deal #{id} stays in the pipeline it was created in",
    "db_deal_columns": "deal #{id}: responsible, budget_minor and lead_date repeat the card's fields and must agree with them",
    "db_task_starts_open": "task #{id}: a task is created open; it is completed or cancelled afterwards",
    "db_task_deal": "task #{id} stays with the deal it was created for",
    "db_publish_refused": "'{login}' may not publish: the power publish belongs to {roles}",
    "db_local_store": "{store} is not a PostgreSQL store: database roles exist only there",
    "db_granted": "database role {role} ({login}) may now read and write the store's rows; nothing else",
    "db_role_missing": "there is no database role '{role}': create it first (createuser {role})",
    "store_row_type": "{kind} {id!r} holds a {type} in '{column}'",
    "store_row_time": "{kind} {id!r} holds {value!r} in '{column}', not a UTC time",
    "store_row_field": "{kind} {id!r} holds {value!r} in its field '{field}', not {expected}",
    "store_expected_login": "a login",
    "store_expected_money": "an amount such as 350000.00",
    "store_expected_day": "a day such as 2026-12-01",
    "store_row_json": "{kind} {id!r}: '{column}' is not a JSON object ({reason})",
    "store_write_failed": "could not write to the store {store}: {reason}; nothing was changed",
    "store_opened_read_only": "it was opened read-only",
    "store_too_large": "the store {store} is larger than {limit} bytes, the most a JSON store may hold; keep data this size in an SQLite store",
    "store_wal_without_index": "the store {store} has a write-ahead log (-wal) without its index (-shm); a read command does not create one: the next command that writes to the store will",
    "busy_timeout_invalid": "FLOWCTL_BUSY_TIMEOUT='{value}' is not a number of seconds from 0 to {limit}; unset it to wait 5 seconds",
    # postgres faults
    "store_connection_lost": "the connection to the store {store} was lost in the middle of the command ({reason}); nothing was changed",
    "store_commit_unknown": "the connection to the store {store} was lost while it was saving the change ({reason}): the change may or may not have been saved; look before you run the command again",
    # what tables show: marks, statuses, report footers and the pipeline's conditions
    "overdue_mark": "OVERDUE",
    "status_open": "open",
    "status_done": "done",
    "status_cancelled": "cancelled",
    "did_you_mean": " (did you mean '{word}'?)",
    "funnel_win_rate": "win rate: {rate} (won {won}, lost {lost})",
    "funnel_corrections": "corrections: {count} (deals sent back to an earlier stage to fix them; not counted as lost)",
    "requirement_when": "{label} (if {field} = {values})",
    "move_needs_contact_made": "a contact with the client",
    "move_needs_tasks_done": "the open tasks completed",
    "move_needs_correction": "a correction: with --comment",
    "on_enter_for_role": "{task} (for {role})",
    "unit_days": "{count} d",
    "unit_hours": "{count} h",
    "unit_minutes": "{count} min",
    # the kinds of things a message names
    "thing_stage": "stage",
    "thing_role": "role",
    "thing_field": "field",
    "thing_contact_field": "contact field",
    "thing_task_type": "task type",
    "thing_contact": "contact",
    "thing_deal": "deal",
    "thing_task": "task",
    "thing_event": "event",
    "thing_publication": "publication",
    # the command-line parser's own texts (flowctl/cli/localize.py): the English is what it prints
    "cli_usage": "Usage: {usage}",
    "cli_try_help": "Try '{command}' for help.",
    "cli_error": "Error: {message}",
    "cli_show_help": "Show this message and exit.",
    "cli_did_you_mean": "{message}. Did you mean {suggestions}?",
    "cli_possible_options": "{message} (Possible options: {options})",
    "cli_no_such_option": "No such option: {name}",
    "cli_invalid_value": "Invalid value for {name}: {reason}",
    "cli_invalid_value_plain": "Invalid value: {reason}",
    "cli_missing_argument": "Missing argument {name}.",
    "cli_missing_option": "Missing option {name}.",
    "cli_missing_parameter": "Missing parameter {name}.",
    "cli_extra_arguments": "Got unexpected extra argument(s) ({arguments})",
    "cli_requires_argument": "Option {name} requires an argument.",
    "cli_no_value": "Option {name} does not take a value.",
    "cli_not_integer": "{value} is not a valid int.",
    "cli_not_integer_range": "{value} is not a valid int range.",
    "cli_not_float": "{value} is not a valid float.",
    "cli_not_boolean": "{value} is not a valid boolean. Recognized values: {values}",
    "cli_not_in_range": "{value} is not in the range {range}.",
    # scenarios (flowctl/scenario.py) and `flowctl test` (flowctl/cli/play.py, flowctl/cli/scenarios.py)
    "scenario_unknown_role": "role '{role}' is not defined by any pipeline{hint}",
    "scenario_clock_relative": "'{value}' is not a date and time: the story starts at a fixed moment, such as 2026-11-30 09:00",
    "scenario_clock_back": "'{value}' is earlier than the clock: a scenario's time only moves forward",
    "scenario_unknown_contact": "no contact #{number}: given.contacts lists {count}",
    "scenario_command_syntax": "the command line does not read as a shell would: {reason}",
    "scenario_command_option": "{option} is not allowed in a scenario: the scenario's throwaway store and the step's `as:` decide",
    "scenario_command_unknown": "'{command}' is not a command a scenario can run{hint}; commands: {known}",
    "test_no_files": "no scenario files in {where}",
    "test_no_rule": "no scenario in {where} proves {rules}",
    "test_keep_not_empty": "{path} is not empty; --keep puts each scenario's workspace in a new or empty folder",
    "test_not_a_pipeline": "{path}: not a pipeline file (.yaml)",
    "test_fact_unreadable": "`flowctl {command}` could not be read: {message}",
    "test_exit": "exit code {expected} expected, got {code}",
    "test_says": "the output does not say «{text}»",
    "test_says_not": "the output says «{text}»",
    "test_no_deal": "there is no deal to check",
    "test_no_task": "there is no task #{id}",
    "test_deal_stage": "deal #{id} is in «{stage}», not «{expected}»",
    "test_deal_field": "deal #{id}: «{field}» is {value}, not {expected}",
    "test_task_fact": "task #{id}: {what} is {value}, not {expected}",
    "test_tasks": "deal #{id}: its {status} tasks are {value}, not {expected}",
    "test_agenda": "{user}'s agenda lists deals {value}, not {expected}",
    "test_not_json": "the output is not JSON: run the command with --format json",
    "test_json": "the output's {path} is {value}, not {expected}",
    "test_given": "the set-up (the team, its hours, given:) failed",
    "test_step": "step {number} (as {login}): flowctl {command}",
    "test_invalid": "the scenario file has problems",
    "test_passed": "ok",
    "test_failed": "FAIL",
    "test_summary": "{total} scenario(s): {passed} passed, {failed} failed",
}

RULE_SUMMARIES: dict[str, str] = {
    "duplicate-id": "two roles, stages, fields, options or task types share an id",
    "duplicate-label": "two items of one list share a label (labels are typed by users to find them)",
    "unknown-stage": "a transition or the agenda names a stage that does not exist",
    "unknown-role": "a transition, the ownership, the task rules or an on-enter task names a role that does not exist",
    "correction-not-backward": "a move marked correction does not go back from an open stage to an earlier open one",
    "undefined-required-field": "a stage requires a field that is not defined",
    "unknown-field": "a condition or the contact display names a field that does not exist",
    "unknown-enum-value": "a condition names a value that is not an option of its enum field",
    "unknown-task-type": "a stage creates a task of a type that does not exist",
    "initial-stage-closed": "the first stage, where deals start, is won or lost",
    "unreachable-stage": "a stage cannot be reached from the first stage",
    "dead-end-stage": "an open stage from which no won or lost stage can be reached",
    "closed-exit-not-reopen": "a move out of a won or lost stage is open to a role without reopen: true",
    "transition-without-role": "a transition no role may make",
    "duplicate-transition": "the same move is listed twice",
    "agenda-missing-stage": "the agenda omits an open stage",
    "agenda-duplicate-stage": "the agenda names a stage twice",
    "on-enter-closed-stage": "a won or lost stage creates tasks on entering it",
    "mixed-script": "a word mixes Latin and Cyrillic letters (a homoglyph that matches nothing)",
    "hidden-character": "a label holds a zero-width or text-direction character",
    "rename-conflict": "a declared rename points at an id that is not defined, or renames one that still is",
    "field-meaning": "a meaning (money, owner, lead_date, close_reason) is given twice, or to a field of a type that cannot hold it",
    "no-money-field": "plan_stages are declared but no deal field is the money, so the forecast would add up zeros",
}

# Texts that name a count: gettext picks the form the language needs for it (Russian has three:
# 1 задача, 2 задачи, 5 задач).
PLURALS: dict[str, tuple[str, str]] = {
    "agenda_estimate": ("{count} task × {each} min = {hours} h {minutes} min",
                        "{count} tasks × {each} min = {hours} h {minutes} min"),
    "agenda_estimate_mixed": ("{count} task = {hours} h {minutes} min", "{count} tasks = {hours} h {minutes} min"),
    "check_summary": ("{count} finding", "{count} findings"),
    "board_deals": ("{count} deal", "{count} deals"),
}

# Column headers of the tables (csv keeps them in English: a program reads its header row).
HEADERS = frozenset({
    "#", "overdue", "id", "stage", "deal", "deals", "contact", "phone", "responsible", "budget", "lead date", "task",
    "task #", "text", "due", "who", "status", "rule", "for", "what", "when", "field", "value", "deals now",
    "budget now", "entered", "went on", "conversion", "sent back", "probability", "in the plan", "manager", "open", "won",
    "won sum", "lost", "win rate", "overdue tasks", "tasks done", "stays", "median", "90%", "limit",
    "over limit now", "version", "published at", "by", "pipelines", "team", "line", "action", "id in source",
    "flowctl id", "reason", "changes", "kind", "max stay", "requires", "tasks on enter", "from", "to", "who may",
    "conditions", "target requires", "found",
})


def visible(value):
    """Text from a file or a command line goes into a one-line message or a table: its control characters are shown
    escaped."""
    if isinstance(value, str) and CONTROL.search(value):
        return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)
    return value


def text(message_id: str, /, **kwargs) -> str:
    """The message in the user's language; the message id is its gettext context, so two ids that read alike in
    English may read differently in another language."""
    return composed(message_id, **{k: visible(v) for k, v in kwargs.items()})


def template(message_id: str, /) -> str:
    """The message in the user's language with its {placeholders} left in (a caller that fills them itself, as the
    HTML report does with markup)."""
    return language.translate(TEXTS[message_id], message_id)


def composed(message_id: str, /, **kwargs) -> str:
    """A message around text flowctl composed itself (a help page): its line breaks are kept, not escaped."""
    return language.translate(TEXTS[message_id], message_id).format(**kwargs)


def plural(message_id: str, count: int, /, **kwargs) -> str:
    singular, many = PLURALS[message_id]
    return language.translate_plural(singular, many, count, message_id).format(
        count=count, **{k: visible(v) for k, v in kwargs.items()})


def header(column: str) -> str:
    if not column:
        return column
    if column not in HEADERS:
        raise KeyError(f"column header {column!r} is not in messages.HEADERS, so it has no translation")
    return language.translate(column, "column")


def rule_summary(rule_id: str) -> str:
    return language.translate(RULE_SUMMARIES[rule_id], f"rule {rule_id}")


def duration(minutes: int) -> str:
    """A span as people say it: 3 d 2 h, 2 h 15 min, 0 min (Russian: 3 дн 2 ч, 2 ч 15 мин)."""
    days, rest = divmod(max(0, minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [text("unit_days", count=days) if days else "", text("unit_hours", count=hours) if hours else "",
             text("unit_minutes", count=mins) if mins and not days else ""]
    return " ".join(p for p in parts if p) or text("unit_minutes", count=0)


def option_names(options) -> str:
    """The choices a user may type, as a hint: the ids in English, the pipeline's own labels in another language
    (the labels are in the team's language; both are accepted)."""
    return ", ".join(o.id if language.current() == "en" else o.label for o in options)


def option_name(options, option_id: str) -> str:
    """One stored choice as the user reads it (an id no longer declared is shown as it is stored)."""
    if language.current() != "en":
        for o in options:
            if o.id == option_id:
                return o.label
    return option_id


def did_you_mean(word: str, candidates) -> str:
    """A ' (did you mean 'x'?)' suffix, or '' when nothing is close."""
    import difflib  # 2.5 ms with heapq: only when a name was mistyped

    found = difflib.get_close_matches(word, [str(c) for c in candidates], n=1, cutoff=0.6)
    return text("did_you_mean", word=found[0]) if found else ""
