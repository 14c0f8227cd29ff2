"""The audit trail cannot be erased: people are deactivated, never deleted (Django and the
database refuse), and the back office's changes and the calendar's overrides keep a history of
who changed what, when, from what, to what."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client

from jieban.org.actions import create_person
from jieban.org.models import ApiToken, ChangeRecord, User
from jieban.tickets.models import Category, TicketEvent
from jieban.workcalendar.models import CalendarOverride
from tests.conftest import PASSWORD, ApiClient, Cast, dispatch, new_ticket, resolve

# Every record of who did what: (table, column) naming a person.
ACTOR_COLUMNS = {
    ("tickets_ticket", "registered_by_id"),
    ("tickets_ticket", "first_handler_id"),
    ("tickets_ticketevent", "actor_id"),
    ("tickets_attachment", "uploaded_by_id"),
    ("tickets_extension", "requested_by_id"),
    ("tickets_extension", "decided_by_id"),
    ("tickets_supervisionorder", "issued_by_id"),
    ("tickets_visit", "called_by_id"),
    ("stats_publishedreport", "published_by_id"),
    ("stats_scorecard", "created_by_id"),
    ("workcalendar_calendaroverride", "updated_by_id"),
    ("auditlog_logentry", "actor_id"),
    ("community_gridversion", "recorded_by_id"),
    ("community_building", "updated_by_id"),
    ("community_appointment", "person_id"),
    ("community_appointment", "created_by_id"),
    ("community_appointment", "changed_by_id"),
}


def office(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def records_of(model: type, pk: Any) -> list[ChangeRecord]:
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(model)
    return list(
        ChangeRecord.objects.filter(content_type=kind, object_pk=str(pk)).order_by("timestamp")
    )


class TestPeopleAreNeverDeleted:
    def test_django_refuses_to_delete_a_person_named_in_a_record(self, cast: Cast) -> None:
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        resolve(cast, ticket)
        for person in (cast.dispatcher, cast.handler_a):
            with pytest.raises(ProtectedError):
                person.delete()
        assert TicketEvent.objects.filter(actor=cast.handler_a).exists()

    def test_every_record_of_who_did_what_has_a_key_in_the_database(self, cast: Cast) -> None:
        people = User._meta.db_table
        found = set()
        with connection.cursor() as cursor:
            for table, column in ACTOR_COLUMNS:
                constraints = connection.introspection.get_constraints(cursor, table)
                if any(
                    item["foreign_key"] == (people, "id") and item["columns"] == [column]
                    for item in constraints.values()
                ):
                    found.add((table, column))
        assert found == ACTOR_COLUMNS
        # And Django keeps them: no record of who did what is emptied when a person goes.
        from django.apps import apps

        for model in apps.get_models():
            if model._meta.app_label in ("tickets", "stats", "workcalendar", "community"):
                for field in model._meta.concrete_fields:
                    if field.is_relation and field.related_model is User:
                        assert field.remote_field.on_delete.__name__ == "PROTECT", field

    def test_django_refuses_to_delete_a_person_who_changed_things(self, cast: Cast) -> None:
        other = create_person(username="admin2", role="admin", unit="CC", password=PASSWORD)
        client = Client()
        client.force_login(other)
        category = Category.objects.get(code="fraud_check")
        client.post(f"/admin/tickets/category/{category.pk}/change/", category_form(category, 2))
        assert ChangeRecord.objects.filter(actor=other).exists()
        with pytest.raises(ProtectedError, match="admin2"):
            other.delete()

    def test_the_back_office_offers_no_deletion(self, cast: Cast) -> None:
        client = office(cast)
        page = client.get("/admin/org/user/").content.decode()
        assert 'value="delete_selected"' not in page
        assert 'value="deactivate"' in page
        assert client.get(f"/admin/org/user/{cast.leader.pk}/delete/").status_code == 403
        assert (
            client.post(f"/admin/org/user/{cast.leader.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        client.post(
            "/admin/org/user/", {"action": "delete_selected", "_selected_action": [cast.leader.pk]}
        )
        assert User.objects.filter(pk=cast.leader.pk).exists()
        change_page = client.get(f"/admin/org/user/{cast.leader.pk}/change/").content.decode()
        assert f"/admin/org/user/{cast.leader.pk}/delete/" not in change_page

    def test_an_administrator_deactivates_a_person(self, cast: Cast) -> None:
        api = ApiClient(cast.handler_a)
        assert api.get("/tickets").status_code == 200
        session = Client()
        session.force_login(cast.handler_a)
        client = office(cast)
        response = client.post(
            "/admin/org/user/",
            {"action": "deactivate", "_selected_action": [cast.handler_a.pk]},
            follow=True,
        )
        assert "1 人已停用" in response.content.decode()
        assert User.objects.get(pk=cast.handler_a.pk).is_active is False
        assert api.get("/tickets").status_code == 401
        assert session.get("/").status_code == 302  # logged out
        assert (
            Client().post("/login/", {"username": "handler_a", "password": PASSWORD}).status_code
            == 200
        )
        page = client.get("/admin/org/user/?is_active__exact=0").content.decode()
        assert "handler_a" in page and "已停用" in page
        (record,) = [r for r in records_of(User, cast.handler_a.pk) if r.action == 1]
        assert record.actor == cast.admin
        assert record.changes == {"is_active": ["True", "False"]}
        client.post(
            "/admin/org/user/", {"action": "activate", "_selected_action": [cast.handler_a.pk]}
        )
        assert User.objects.get(pk=cast.handler_a.pk).is_active is True

    def test_an_administrator_cannot_deactivate_themself(self, cast: Cast) -> None:
        response = office(cast).post(
            "/admin/org/user/",
            {"action": "deactivate", "_selected_action": [cast.admin.pk]},
            follow=True,
        )
        assert "不能停用自己" in response.content.decode()
        assert User.objects.get(pk=cast.admin.pk).is_active is True

    def test_the_command_deactivates_and_activates(self, cast: Cast) -> None:
        out = StringIO()
        call_command("user", "deactivate", "leader", stdout=out)
        assert out.getvalue() == "leader\tdeactivated\n"
        assert User.objects.get(username="leader").is_active is False
        call_command("user", "activate", "leader", stdout=StringIO())
        assert User.objects.get(username="leader").is_active is True


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_raw_delete_of_a_person_with_events(cast: Cast) -> None:
    from jieban.tickets.defaults import create_default_categories

    create_default_categories(Category)  # a transactional test before this one flushed them
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    resolve(cast, ticket)
    # Only the ticket's events name handler_a: no other key holds them back.
    assert TicketEvent.objects.filter(actor=cast.handler_a).exists()
    ApiToken.objects.filter(user=cast.handler_a).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_user WHERE id = %s", [cast.handler_a.pk])
    assert User.objects.filter(pk=cast.handler_a.pk).exists()
    assert TicketEvent.objects.filter(actor=cast.handler_a).exists()
    # The same statement deletes a person no record names: it is the keys that refuse.
    spare = create_person(username="spare", role="leader", unit=None, password=PASSWORD)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM auditlog_logentry WHERE object_pk = %s", [str(spare.pk)])
        cursor.execute("DELETE FROM org_user WHERE id = %s", [spare.pk])
    assert not User.objects.filter(pk=spare.pk).exists()


def category_form(category: Category, days: int) -> dict[str, str]:
    return {
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "parent": "",
        "deadline_days": str(days),
        "practical": "on" if category.practical else "",
        "is_active": "on",
    }


class TestTheHistory:
    def test_a_back_office_change_is_recorded_from_and_to(self, cast: Cast) -> None:
        category = Category.objects.get(code="fraud_check")
        before = category.deadline_days
        client = office(cast)
        assert (
            client.post(
                f"/admin/tickets/category/{category.pk}/change/", category_form(category, 2)
            ).status_code
            == 302
        )
        (record,) = records_of(Category, category.pk)
        assert record.actor == cast.admin
        assert record.changes == {"deadline_days": [str(before), "2"]}
        assert record.remote_addr == "127.0.0.1"
        page = client.get("/admin/org/changerecord/").content.decode()
        assert "变更历史" in page
        assert f"{before} → 2" in page
        assert "admin" in page

    def test_the_history_page_speaks_english_too(self, cast: Cast) -> None:
        category = Category.objects.get(code="fraud_check")
        client = office(cast)
        client.post(f"/admin/tickets/category/{category.pk}/change/", category_form(category, 2))
        client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
        page = client.get("/admin/org/changerecord/").content.decode()
        assert "History of changes" in page and "From → to" in page and "changed" in page

    def test_a_calendar_override_is_recorded_with_its_person_however_it_is_made(
        self, cast: Cast
    ) -> None:
        client = office(cast)
        client.post(
            "/calendar/2026/", {"date": "2026-03-03", "kind": "holiday", "source": "通知一"}
        )
        ApiClient(cast.admin).put("/calendar/2026-03-04", {"kind": "workday", "source": "通知二"})
        call_command(
            "calendar", "set", "2026-03-05", "holiday", "--source", "通知三", stdout=StringIO()
        )
        client.post("/calendar/remove/", {"date": "2026-03-03"})
        people = {}
        for override_date, source in (("2026-03-04", "通知二"), ("2026-03-05", "通知三")):
            override = CalendarOverride.objects.get(date=dt.date.fromisoformat(override_date))
            (created,) = records_of(CalendarOverride, override.pk)
            assert created.changes["source"] == ["None", source]
            people[override_date] = created.actor
        assert people == {"2026-03-04": cast.admin, "2026-03-05": None}
        removed = ChangeRecord.objects.filter(action=2, object_repr__startswith="2026-03-03")
        (deleted,) = removed
        assert deleted.actor == cast.admin
        assert deleted.changes["kind"] == ["holiday", "None"]
        page = client.get("/admin/org/changerecord/?done=2").content.decode()
        assert "2026-03-03" in page and "休息日 → —" in page
        assert "系统" in client.get("/admin/org/changerecord/").content.decode()
        from django.contrib.contenttypes.models import ContentType

        kind = ContentType.objects.get_for_model(CalendarOverride).pk
        by_admin = client.get(f"/admin/org/changerecord/?what={kind}&who={cast.admin.pk}")
        assert by_admin.context["cl"].result_count == 3  # made, made over the API, removed
        by_system = client.get(f"/admin/org/changerecord/?what={kind}&who=system")
        assert by_system.context["cl"].result_count == 1

    def test_a_calendar_change_over_the_api_names_its_person(self, cast: Cast) -> None:
        ApiClient(cast.admin).put("/calendar/2026-03-04", {"kind": "workday", "source": "通知"})
        ApiClient(cast.admin).put("/calendar/2026-03-04", {"kind": "holiday", "source": "更正"})
        override = CalendarOverride.objects.get(date=dt.date(2026, 3, 4))
        created, changed = records_of(CalendarOverride, override.pk)
        assert (created.actor, changed.actor) == (cast.admin, cast.admin)
        assert changed.changes["kind"] == ["workday", "holiday"]
        assert changed.changes["source"] == ["通知", "更正"]

    def test_a_new_password_is_recorded_never_its_hash(self, cast: Cast) -> None:
        person = User.objects.get(pk=cast.leader.pk)
        old_hash = person.password
        person.set_password("another-long-one")
        person.save()
        record = records_of(User, person.pk)[-1]
        assert record.changes == {"password": ["********", "********"]}
        assert old_hash not in str(record.changes) and person.password not in str(record.changes)

    def test_a_login_is_not_a_change(self, cast: Cast) -> None:
        before = ChangeRecord.objects.count()
        client = Client()
        assert (
            client.post("/login/", {"username": "leader", "password": PASSWORD}).status_code == 302
        )
        assert ChangeRecord.objects.count() == before

    def test_the_history_cannot_be_changed_or_erased_in_the_back_office(self, cast: Cast) -> None:
        category = Category.objects.get(code="fraud_check")
        client = office(cast)
        client.post(f"/admin/tickets/category/{category.pk}/change/", category_form(category, 2))
        (record,) = records_of(Category, category.pk)
        assert client.get(f"/admin/org/changerecord/{record.pk}/change/").status_code == 200
        assert client.get(f"/admin/org/changerecord/{record.pk}/delete/").status_code == 403
        assert client.get("/admin/auditlog/logentry/").status_code == 404
        assert (
            'value="delete_selected"' not in client.get("/admin/org/changerecord/").content.decode()
        )

    def test_only_administrators_read_the_history(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.supervisor)
        assert client.get("/admin/org/changerecord/").status_code == 302
