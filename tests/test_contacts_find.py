"""Finding a client (issue 14): `contact find`, a contact named by id, phone or name in `show` and `set`, the phone
that another contact has, a display name that says the client type once, and the client type kept the same on the
contact (F10, its owner) and its open deals (F4). Against every store."""

from __future__ import annotations

import json

from test_deals import ALMAZ, QUALIFIED, walk_to

MARINA = ["name=Марина", "phone=+7 922 111-22-33", "client_type=private"]


def _ids(ws, *args) -> list[int]:
    return [c["id"] for c in ws.json(*args)]


def _history(ws, **match) -> list[dict]:
    events = json.loads(ws.ok("export", "history", "--format", "json").stdout)
    return [e for e in events if all(e.get(k) == v for k, v in match.items())]


def _client_types(ws) -> dict[int, str | None]:
    return {d["id"]: d["fields"].get("client_type") for d in ws.json("deal", "list")}


# -- contact find ---------------------------------------------------------------------------------------------


def test_find_matches_a_part_of_the_name_in_any_case_with_yo_as_e(ws):
    ws.ok("contact", "add", *ALMAZ)  # 1
    ws.ok("contact", "add", "name=Пётр Ёлкин")  # 2
    ws.ok("contact", "add", "name=Алла")  # 3
    assert _ids(ws, "contact", "find", "петр") == [2]
    assert _ids(ws, "contact", "find", "ЕЛК") == [2]
    assert _ids(ws, "contact", "find", "ал") == [1, 3]
    assert _ids(ws, "contact", "find", "лмаз") == [1]  # any part, not only a word's start


def test_find_matches_a_phone_fragment_typed_in_any_format_8_and_plus_7_alike(ws):
    ws.ok("contact", "add", *ALMAZ)  # +79123456789
    ws.ok("contact", "add", *MARINA)  # +79221112233
    for typed in ("8 912", "+7 912", "912-34", "8 (912) 345-67-89", "89123456789", "+7 912 345 67 89", "345.67"):
        assert _ids(ws, "contact", "find", typed) == [1], typed
    assert _ids(ws, "contact", "find", "8 922") == [2]
    assert _ids(ws, "contact", "find", "22-33") == [2]
    assert _ids(ws, "contact", "find", "9") == [1, 2]


def test_find_reads_a_lone_8_as_a_digit_not_as_every_russian_number(local_ws):
    local_ws.ok("contact", "add", *MARINA)  # +79221112233: no 8 in it
    assert local_ws.run("contact", "find", "8").exit_code == 4
    assert _ids(local_ws, "contact", "find", "8 922") == [1]  # 8 followed by digits is still Russia's +7


def test_find_prints_what_contact_list_prints_in_every_format(ws):
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    table = ws.ok("contact", "find", "алмаз").stdout.splitlines()
    assert table[0].split() == ["#", "contact", "phone"]
    assert table[2].split() == ["1", "Алмаз", "Строитель", "+7", "912", "345-67-89"] and len(table) == 3
    assert ws.ok("contact", "find", "марина", "--format", "csv").stdout.splitlines() == \
        ws.ok("contact", "list", "--format", "csv").stdout.splitlines()[:1] + ["2,Марина Частник,'+79221112233"]
    assert ws.json("contact", "find", "марина") == ws.json("contact", "list")[1:]


def test_find_that_matches_nothing_says_so_with_exit_code_4_and_a_blank_search_is_a_usage_error(ws):
    ws.ok("contact", "add", *ALMAZ)
    nothing = ws.run("contact", "find", "Зинаида")
    assert (nothing.exit_code, nothing.stdout, nothing.stderr) == (4, "", "flowctl: no contact matches «Зинаида»\n")
    assert ws.run("contact", "find", "8 000").exit_code == 4
    blank = ws.run("contact", "find", "  ")
    assert (blank.exit_code, blank.stderr) == (2, "flowctl: say what to look for: a part of a name or of a phone\n")


# -- a contact named by id, phone or name ---------------------------------------------------------------------


def test_show_takes_an_id_a_phone_in_any_format_or_a_name_part_only_one_contact_has(ws):
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    for ref, expected in (("1", 1), ("2", 2), ("Алмаз", 1), ("марин", 2), ("8 912 345-67-89", 1),
                          ("+79221112233", 2), ("89123456789", 1), ("912-34", 1), ("Марина Частник", 2)):
        assert ws.json("contact", "show", ref)["id"] == expected, ref
    assert ws.ok("contact", "show", "алмаз").stdout.startswith("Contact #1 Алмаз Строитель\n")


def test_show_a_name_part_several_contacts_share_is_a_one_line_usage_error_listing_five_of_them(ws):
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    two = ws.run("contact", "show", "а")
    assert (two.exit_code, two.stdout, two.stderr) == (2, "", "flowctl: «а» matches several contacts (2): "
                                                              "#1 Алмаз Строитель, #2 Марина Частник; give the id, "
                                                              "the phone or more of the name\n")
    for name in ("Анна", "Антон", "Артём", "Аркадий", "Ася"):
        ws.ok("contact", "add", f"name={name}")
    seven = ws.run("contact", "show", "а")
    assert seven.exit_code == 2 and seven.stderr.count("\n") == 1
    assert "(7): #1 Алмаз Строитель, #2 Марина Частник, #3 Анна, #4 Антон, #5 Артём … and 2 more;" in seven.stderr


def test_show_prefers_the_one_contact_whose_whole_name_it_is(ws):
    ws.ok("contact", "add", "name=Алмаз")
    ws.ok("contact", "add", "name=Алмаз Петров")
    assert ws.json("contact", "show", "алмаз")["id"] == 1
    assert ws.json("contact", "show", "петров")["id"] == 2


def test_show_an_unknown_id_phone_or_name_is_not_found(ws):
    ws.ok("contact", "add", *ALMAZ)
    for ref, message in (("7", "no contact #7"), ("8 912 000-00-00", "no contact matches «8 912 000-00-00»"),
                         ("89120000000", "no contact matches «89120000000»"), ("Зина", "no contact matches «Зина»")):
        result = ws.run("contact", "show", ref)
        assert (result.exit_code, result.stderr) == (4, f"flowctl: {message}\n"), ref


def test_set_takes_the_contact_the_same_ways_as_show(ws):
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    assert ws.json("contact", "set", "марина", "name=Марина Ивановна")["id"] == 2
    assert ws.json("contact", "set", "8 912 345 67 89", "name=Алмаз Ильич")["id"] == 1
    assert [c["display_name"] for c in ws.json("contact", "list")] == ["Алмаз Ильич Строитель",
                                                                       "Марина Ивановна Частник"]
    ambiguous = ws.run("contact", "set", "а", "name=Кто-то")
    assert ambiguous.exit_code == 2


# -- F9: one phone, one contact -------------------------------------------------------------------------------


def test_f9_a_phone_another_contact_has_is_refused_naming_that_contact_whatever_the_format(ws):
    ws.ok("contact", "add", *ALMAZ)
    ws.ok("contact", "add", *MARINA)
    before = ws.snapshot()
    for typed in ("+7 (912) 345 67 89", "89123456789", "912 345-67-89"):
        for command in (("contact", "add", "name=Другой", f"phone={typed}"), ("contact", "set", "2", f"phone={typed}")):
            refused = ws.run(*command)
            assert (refused.exit_code, refused.stderr) == (
                1, "flowctl: phone +7 912 345-67-89 already belongs to contact #1 Алмаз Строитель\n"), command
    assert ws.snapshot() == before
    assert ws.json("contact", "set", "1", "phone=+7 912 345 67 89")["fields"]["phone"] == "+79123456789"  # its own


# -- F8: the client type said once ----------------------------------------------------------------------------


def test_f8_a_name_that_already_says_the_client_type_does_not_say_it_again(ws):
    shown = {}
    for name, client_type in (("Алмаз Строитель", "builder"), ("строитель Иван", "builder"),
                              ("Стройка", "builder"), ("Алмаз Строитель", "private"), ("ООО «Частник»", "private")):
        contact = ws.json("contact", "add", f"name={name}", f"client_type={client_type}")
        shown[(name, client_type)] = contact["display_name"]
    assert shown == {("Алмаз Строитель", "builder"): "Алмаз Строитель",
                     ("строитель Иван", "builder"): "строитель Иван",
                     ("Стройка", "builder"): "Стройка Строитель",  # a word that merely starts alike is not the label
                     ("Алмаз Строитель", "private"): "Алмаз Строитель Частник",
                     ("ООО «Частник»", "private"): "ООО «Частник»"}
    deal = ws.json("deal", "create", "--contact", "1")
    assert ws.json("deal", "show", deal["id"])["contact"] == "Алмаз Строитель"


# -- F4/F10: the client type is the contact's -----------------------------------------------------------------


def _almaz_with_deals(ws) -> tuple[int, int, int]:
    """Алмаз the builder with two open deals and a lost one."""
    ws.ok("contact", "add", *ALMAZ)
    first = ws.json("deal", "create", "--contact", "1")["id"]
    second = ws.json("deal", "create", "--contact", "1")["id"]
    lost = ws.json("deal", "create", "--contact", "1")["id"]
    ws.ok("deal", "advance", lost, "lost", "-F", "lost_reason=other")
    return first, second, lost


def test_f10_client_type_set_on_the_contact_is_copied_to_its_open_deals_with_a_history_event_each(ws):
    first, second, lost = _almaz_with_deals(ws)
    ws.ok("contact", "add", *MARINA)
    other = ws.json("deal", "create", "--contact", "2")["id"]
    assert ws.json("contact", "set", "Алмаз", "client_type=частник")["display_name"] == "Алмаз Частник"
    assert _client_types(ws) == {first: "private", second: "private", lost: "builder", other: "private"}
    copies = _history(ws, kind="deal.field", contact_id=1)
    assert [(e["deal_id"], e["actor"], e["data"]) for e in copies] == [
        (deal, "ivan", {"field": "client_type", "old": "builder", "new": "private"}) for deal in (first, second)]
    assert [e["data"] for e in _history(ws, kind="contact.field")] == [
        {"field": "client_type", "old": "builder", "new": "private"}]


def test_f4_client_type_set_on_a_deal_is_set_on_its_contact_and_the_contacts_other_open_deals(ws):
    first, second, lost = _almaz_with_deals(ws)
    ws.ok("deal", "set", first, "client_type=private")
    assert ws.json("contact", "show", "1")["fields"]["client_type"] == "private"
    assert _client_types(ws) == {first: "private", second: "private", lost: "builder"}
    [taken] = _history(ws, kind="contact.field")
    assert (taken["deal_id"], taken["data"]) == (first, {"field": "client_type", "old": "builder", "new": "private"})
    assert [e["deal_id"] for e in _history(ws, kind="deal.field") if e["data"]["field"] == "client_type"] == \
        [first, second]
    # a move that sets it, and a new deal given another, do the same
    walk_to(ws, second, "ОП ВЗЯЛ В РАБОТУ")
    ws.ok("deal", "advance", second, "горячие", *QUALIFIED, "-F", "client_type=builder")
    assert ws.json("contact", "show", "1")["fields"]["client_type"] == "builder"
    assert _client_types(ws)[first] == "builder"
    third = ws.json("deal", "create", "--contact", "1", "-F", "client_type=private")["id"]
    assert ws.json("contact", "show", "1")["fields"]["client_type"] == "private"
    assert _client_types(ws) == {first: "private", second: "private", lost: "builder", third: "private"}


def test_a_contacts_client_type_the_deals_field_cannot_hold_is_not_copied_into_a_new_deal(ws):
    """A pipeline whose contact card keeps the client type as free text (the deal's is a choice): a new deal takes
    no copy of «Застройщик», as a change on the contact copies none (found by the F10 scenario's mutant)."""
    path = ws.root / "pipelines" / "krovlya.yaml"
    text = path.read_text("utf-8")
    contact_card = text[text.index("  contact:"):]
    path.write_text(text.replace(contact_card, contact_card.replace(
        "      type: enum\n      options: *client_types", "      type: text", 1), 1), "utf-8")
    ws.republish()
    ws.ok("contact", "add", "name=Алмаз", "Строитель/Частник=Застройщик")
    ws.ok("contact", "add", "name=Марина", "Строитель/Частник=private")
    assert "client_type" not in ws.json("deal", "create", "--contact", "1")["fields"]
    assert ws.json("deal", "create", "--contact", "2")["fields"]["client_type"] == "private"  # a value it holds


def test_client_type_is_not_copied_at_all_when_one_open_deal_refuses_it(ws):
    first, second, _ = _almaz_with_deals(ws)
    walk_to(ws, first, "горячие")  # «ГОРЯЧИЕ» requires the client type (Q1)
    before = ws.snapshot()
    for command in (("contact", "set", "1", "client_type="), ("deal", "set", second, "client_type=")):
        refused = ws.run(*command)
        assert (refused.exit_code, refused.stderr) == (1, (
            f"flowctl: Строитель/Частник is the contact's and kept the same on its open deals, and deal #{first} "
            "refuses it: «ГОРЯЧИЕ» requires Строитель/Частник; it cannot be cleared while the deal is there\n"
        )), command
        assert ws.snapshot() == before


def _window_pipeline_without_managers(ws) -> None:
    """pipelines/okna.yaml: krovlya for windows, where the roles are the window team's, and the head's."""
    text = (ws.root / "pipelines" / "krovlya.yaml").read_text("utf-8")
    text = text.replace("id: krovlya", "id: okna", 1).replace("name: Кровля ", "name: Окна ", 1)
    text = text.replace("manager", "window_manager").replace("engineer", "window_engineer")
    text = text.replace("label: Менеджер ОП", "label: Менеджер окон").replace("label: Инженер", "label: Инженер окон")
    (ws.root / "pipelines" / "okna.yaml").write_text(text, "utf-8")
    ws.republish()


def test_client_type_copies_need_the_acting_users_role_in_each_deals_pipeline(ws):
    _window_pipeline_without_managers(ws)
    ws.ok("contact", "add", *ALMAZ)
    roof = ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
    window = ws.json("deal", "create", "--pipeline", "okna", "--contact", "1", user="olga")["id"]
    before = ws.snapshot()
    for command in (("contact", "set", "1", "client_type=private"), ("deal", "set", roof, "client_type=private")):
        refused = ws.run(*command)  # ivan is a manager of roofs, nothing of windows
        assert refused.exit_code == 5, refused.stderr
        assert refused.stderr.startswith(f"flowctl: Строитель/Частник is the contact's and kept the same on its open "
                                          f"deals, and deal #{window} refuses it: 'ivan' holds no role of pipeline")
        assert ws.snapshot() == before
    ws.ok("contact", "set", "1", "client_type=private", user="olga")  # the head holds a role in both
    assert _client_types(ws) == {roof: "private", window: "private"}
