"""Contacts as issue 14 asks: a display name that says the client type once, and a phone another contact has.
Against every store."""

from __future__ import annotations

from test_deals import ALMAZ

MARINA = ["name=Марина", "phone=+7 922 111-22-33", "client_type=private"]


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
