"""Running an import (campaigns/sales/import_*.py), its pages and its command: upload, a mapping remembered per
kind of file, the preview, chunks, re-imports adding nothing, bad rows reported by line, refusals."""
import io
import json
import re
import threading

import pytest
from sqlalchemy import func, select, update

from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db
from campaigns.models import Customer, CustomerLink, ImportMapping, Purchase, PurchaseImport
from campaigns.sales import import_files, import_mapping, import_runs
from tests.conftest import csrf_from, log_in

HEADER = "Date,Amount,Email,Phone,ID"


def plain(numbers, bad: dict | None = None) -> bytes:
    """A plain file with sale n on 2026-03-(n % 28 + 1) for (n + 1).50 by customer n % 7; `bad` replaces rows."""
    lines = [HEADER]
    for n in numbers:
        lines.append((bad or {}).get(n) or
                     f"2026-03-{n % 28 + 1:02d} 10:{n % 60:02d},{n + 1}.50,c{n % 7}@example.com,,sale-{n}")
    return ("\n".join(lines) + "\n").encode()


def started(data: bytes, name: str = "sales.csv") -> PurchaseImport:
    """Upload a file and confirm what is proposed for it."""
    record = import_files.upload(name, data, None)
    return import_mapping.confirm_proposed(record)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_upload_keeps_the_file_detects_its_kind_and_counts_rows(ctx):
    data = plain(range(12))
    record = import_files.upload("C:\\exports\\march.csv", data, None)
    assert (record.filename, record.source, record.status, record.total_rows) == ("march.csv", "plain", "uploaded", 12)
    assert (record.content, record.size, record.done_rows) == (data, len(data), 0)
    assert import_files.recent_imports() == [record]


@pytest.mark.parametrize("data", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00\x00\x01\x02endobj\n",
                                  b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", b""])
def test_a_file_that_is_not_csv_is_refused_whole(ctx, data):
    with pytest.raises(ValidationError) as refused:
        import_files.upload("sales.csv", data, None)
    assert refused.value.details["fields"]["file"]
    assert count(PurchaseImport) == 0


def test_a_header_without_rows_is_refused(ctx):
    with pytest.raises(ValidationError) as refused:
        import_files.upload("empty.csv", (HEADER + "\n").encode(), None)
    assert "no rows" in refused.value.details["fields"]["file"]


def test_the_confirmed_mapping_is_offered_again_for_that_kind_of_file(ctx):
    data = ("Sold,Total,Mail,Ref\n01/02/2026,12,a@example.com,r-1\n03/04/2026,8,b@example.com,r-2\n").encode()
    first = import_files.upload("one.csv", data, None)
    source, suggested, options = import_mapping.proposal(first)
    order = "dmy" if options.date_order != "dmy" else "mdy"
    columns = dict(suggested, date="Sold", amount="Total", email="Mail", external_id="Ref")
    chosen = {"decimal_mark": ",", "date_order": order, "time_zone": "Europe/Lisbon"}
    import_mapping.confirm(first, source, columns, chosen)
    second = import_files.upload("two.csv", data, None)
    again_source, again_columns, again_options = import_mapping.proposal(second)
    assert again_source == source
    assert {k: again_columns[k] for k in ("date", "amount", "email", "external_id")} == {
        "date": "Sold", "amount": "Total", "email": "Mail", "external_id": "Ref"}
    assert (again_options.decimal_mark, again_options.date_order, again_options.time_zone) == (
        ",", order, "Europe/Lisbon")
    kept = db.session.scalar(select(ImportMapping.columns).where(ImportMapping.source == source))
    assert json.loads(kept)["amount"] == "Total"


def test_confirming_needs_every_required_field_and_known_columns(ctx):
    record = import_files.upload("sales.csv", plain(range(3)), None)
    source, columns, options = import_mapping.proposal(record)
    base = {"decimal_mark": options.decimal_mark, "date_order": options.date_order, "time_zone": options.time_zone}
    with pytest.raises(ValidationError) as missing:
        import_mapping.confirm(record, source, dict(columns, amount=None), base)
    assert "amount" in missing.value.details["fields"]
    with pytest.raises(ValidationError) as unknown:
        import_mapping.confirm(record, source, dict(columns, amount="Price"), base)
    assert "amount" in unknown.value.details["fields"]
    with pytest.raises(ValidationError) as zone:
        import_mapping.confirm(record, source, columns, dict(base, time_zone="Mars/Olympus"))
    assert "time_zone" in zone.value.details["fields"]
    assert record.status == "uploaded" and count(ImportMapping) == 0


def test_preview_shows_what_the_first_rows_become_and_the_bad_ones_by_line(ctx):
    data = plain(range(6), bad={2: "2026-03-03 10:02,lots,c2@example.com,,sale-2",
                                4: "someday,4.50,c4@example.com,,sale-4"})
    record = import_files.upload("sales.csv", data, None)
    shown = import_mapping.preview(record, count=5)
    assert [row.line for row in shown] == [2, 3, 4, 5, 6]
    first = shown[0]
    assert (first.kind, first.amount_cents, first.external_id) == ("sale", 150, "sale-0")
    assert first.contact == "c0@example.com"
    assert first.when.strftime("%Y-%m-%d %H:%M") == "2026-03-01 10:00"
    assert [row.line for row in shown if row.problem] == [4, 6]
    assert count(Purchase) == 0  # a preview stores nothing


def test_an_import_runs_in_chunks_from_where_it_stopped(ctx):
    record = started(plain(range(25)))
    steps = [import_runs.run_chunk(record, size=10) for _ in range(3)]
    assert [(s["done_rows"], s["status"]) for s in steps] == [(10, "running"), (20, "running"), (25, "done")]
    assert (record.created, record.duplicates, record.failed, record.total_rows) == (25, 0, 0, 25)
    assert record.finished_at is not None
    assert count(Purchase, Purchase.import_id == record.id, Purchase.source == "import") == 25
    assert count(Customer) == 7
    assert import_runs.run_chunk(record)["status"] == "done" and count(Purchase) == 25


def test_a_finished_import_lets_its_file_go_and_threads_share_the_one_kept(ctx, monkeypatch):
    """The parsed file is kept once per process while its import runs (threads serve requests at once), and let go
    when the import is done: a module dict used to hold the last file (480 MB after 2,000,000 rows) for ever."""
    record = started(plain(range(7)))
    reads, sheets = [], []
    real = import_files.imports.read_sheet
    import_files._KEPT.drop()
    monkeypatch.setattr(import_files.imports, "read_sheet", lambda data: reads.append(1) or real(data))
    def ask():
        with ctx.app_context():
            sheets.append(import_files.sheet_of(record))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1 and len({id(sheet) for sheet in sheets}) == 1  # read once, shared
    list(import_runs.run_all(record, size=3))
    assert record.status == "done" and import_files._KEPT._kept is None


def test_run_all_yields_each_chunk(ctx):
    record = started(plain(range(7)))
    assert [p["done_rows"] for p in import_runs.run_all(record, size=3)] == [3, 6, 7]


def test_importing_the_same_file_again_adds_nothing(ctx):
    data = plain(range(15))
    list(import_runs.run_all(started(data), size=4))
    again = started(data, "again.csv")
    list(import_runs.run_all(again, size=4))
    assert (again.created, again.duplicates, again.failed) == (0, 15, 0)
    assert count(Purchase) == 15


def test_an_overlapping_file_adds_only_the_new_rows(ctx):
    list(import_runs.run_all(started(plain(range(0, 20)))))
    overlap = started(plain(range(10, 30)))
    list(import_runs.run_all(overlap, size=7))
    assert (overlap.created, overlap.duplicates) == (10, 10)
    assert count(Purchase) == 30


def test_bad_rows_are_reported_with_line_and_reason_and_the_good_kept(ctx):
    list(import_runs.run_all(started(plain(range(3)))))
    data = plain(range(8), bad={1: "2026-03-02 10:01,99.00,c1@example.com,,sale-1",  # same id, other amount
                                3: "2026-03-04 10:03,,c3@example.com,,sale-3",
                                5: "2026-13-45 10:05,6.50,c5@example.com,,sale-5",
                                6: "2026-03-07 10:06,7.50,not-an-address,,sale-6"})
    record = started(data, "second.csv")
    progress = list(import_runs.run_all(record, size=3))
    assert (record.created, record.duplicates, record.failed) == (2, 2, 4)
    reported = import_runs.problems(record)
    assert [problem["line"] for problem in reported] == [3, 5, 7, 8]
    assert all(problem["reason"] for problem in reported)
    assert "already" in reported[0]["reason"] or "different" in reported[0]["reason"]
    assert sum(len(step["problems"]) for step in progress) == 4
    assert count(Purchase) == 5


def test_stored_bad_rows_are_capped_but_all_counted(ctx, monkeypatch):
    monkeypatch.setattr(import_runs, "MAX_STORED_ERRORS", 3)
    record = started(plain(range(8), bad={n: f"2026-03-01 10:00,oops,c@example.com,,bad-{n}" for n in range(1, 7)}))
    list(import_runs.run_all(record, size=2))
    assert record.failed == 6 and len(import_runs.problems(record)) == 3
    assert record.created == 2


def test_a_chunk_needs_a_confirmed_import(ctx):
    record = import_files.upload("sales.csv", plain(range(3)), None)
    with pytest.raises(DomainError) as refused:
        import_runs.run_chunk(record)
    assert refused.value.code == "import_not_confirmed" and count(Purchase) == 0


def test_the_columns_cannot_change_once_started(ctx):
    record = started(plain(range(3)))
    source, columns, options = import_mapping.proposal(record)
    with pytest.raises(DomainError) as refused:
        import_mapping.choose(record, source, columns, options.__dict__)
    assert refused.value.code == "import_started"


def test_a_chunk_taken_meanwhile_is_refused(ctx):
    record = started(plain(range(6)))
    db.session.commit()
    db.session.execute(update(PurchaseImport).where(PurchaseImport.id == record.id).values(done_rows=3)
                       .execution_options(synchronize_session=False))
    with pytest.raises(DomainError) as busy:
        import_runs.run_chunk(record, size=3)  # it still believes it is at row 0
    assert busy.value.code == "busy"


def test_a_square_customer_directory_links_its_customers(ctx):
    data = ("Reference ID,First Name,Last Name,Email Address,Phone Number,Square Customer ID\n"
            ",Ana,Lima,ana@example.com,,JDKYHBWT1D4F8MFH63DBMEN8Y4\n"
            ",Rui,Sousa,,+351 912 345 678,K0X2TYN3QDWQ5B9D2V1AKQ7W8C\n").encode()
    record = import_files.upload("customers.csv", data, None)
    assert record.source == "square_customers"
    import_mapping.confirm_proposed(record)
    list(import_runs.run_all(record))
    assert record.created == 2 and count(CustomerLink, CustomerLink.source == "square") == 2


# ---- The command ----

def test_the_command_imports_a_file_and_lists_its_bad_rows(app, runner, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(plain(range(5), bad={3: "2026-03-04 10:03,free,c3@example.com,,sale-3"}))
    result = runner.invoke(args=["import-purchases", str(path), "--source", "plain"])
    assert result.exit_code == 0, result.output
    assert "4 added" in result.output and "1 refused" in result.output
    assert "line 5:" in result.output
    again = runner.invoke(args=["import-purchases", str(path)])
    assert again.exit_code == 0 and "0 added, 4 already there" in again.output
    with app.app_context():
        assert count(Purchase) == 4


def test_the_command_refuses_a_file_that_is_not_csv(app, runner, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
    result = runner.invoke(args=["import-purchases", str(path)])
    assert result.exit_code == 1 and "Error" in result.output
    with app.app_context():
        assert count(PurchaseImport) == 0


# ---- The pages ----

def _upload(client, data: bytes, name: str = "sales.csv", token: str | None = None):
    page = client.get("/purchases/imports/")
    return client.post("/purchases/imports/", data={"csrf_token": token or csrf_from(page.get_data(as_text=True)),
                                                    "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("role, status", [("staff", 403), ("marketer", 200), ("owner", 200)])
def test_the_import_pages_are_for_marketers_and_owners(client, make_user, role, status):
    log_in(client, make_user(role))
    assert client.get("/purchases/imports/").status_code == status


def test_signed_out_people_are_sent_to_log_in(client, make_user):
    make_user("owner")
    assert "/login" in client.get("/purchases/imports/").headers["Location"]


def test_upload_map_and_import_through_the_pages(app, client, make_user):
    log_in(client, make_user("marketer"))
    uploaded = _upload(client, plain(range(5), bad={2: "2026-03-03 10:02,ten,c2@example.com,,sale-2"}))
    assert uploaded.status_code == 302
    mapping_url = uploaded.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert "Preview of the first rows" in page and "sale-0" in page and "Line 4" in page
    form = {"csrf_token": csrf_from(page), "source": "plain", "decimal_mark": ".", "date_order": "ymd",
            "time_zone": "UTC", "column_date": "Date", "column_amount": "Amount", "column_email": "Email",
            "column_phone": "Phone", "column_external_id": "ID", "start": "y"}
    assert client.post(mapping_url + "/mapping", data=form).status_code == 302
    progress = client.get(mapping_url).get_data(as_text=True)
    assert "<progress" in progress and "Continue" in progress
    token = csrf_from(progress)
    answer = client.post(mapping_url + "/chunk", headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.status_code == 200
    assert answer.get_json() == {"done_rows": 5, "total_rows": 5, "created": 4, "duplicates": 0, "failed": 1,
                                 "status": "done"}
    done = client.get(mapping_url).get_data(as_text=True)
    assert "Refused rows" in done and "problems.csv" in done
    report = client.get(mapping_url + "/problems.csv")
    assert report.status_code == 200 and report.get_data(as_text=True).splitlines()[1].startswith("4,")
    with app.app_context():
        assert count(Purchase) == 4


def test_continue_without_script_posts_one_chunk_and_returns(app, client, make_user):
    log_in(client, make_user("owner"))
    url = _upload(client, plain(range(3))).headers["Location"]
    with app.app_context():
        import_mapping.confirm_proposed(db.session.get(PurchaseImport, int(url.rsplit("/", 1)[1])))
        db.session.commit()
    token = csrf_from(client.get(url).get_data(as_text=True))
    answer = client.post(url + "/chunk", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(url.rsplit("/", 1)[1])
    with app.app_context():
        assert count(Purchase) == 3


def test_posts_without_the_csrf_token_change_nothing(app, client, make_user):
    log_in(client, make_user("owner"))
    assert _upload(client, plain(range(3)), token="forged").status_code == 400
    with app.app_context():
        record = import_files.upload("sales.csv", plain(range(3)), None)
        import_mapping.confirm_proposed(record)
        db.session.commit()
        import_id = record.id
    answer = client.post(f"/purchases/imports/{import_id}/chunk", headers={"Accept": "application/json"})
    assert answer.status_code == 400
    with app.app_context():
        assert count(Purchase) == 0 and count(PurchaseImport) == 1


def test_a_non_csv_upload_is_refused_on_the_page(app, client, make_user):
    log_in(client, make_user("marketer"))
    answer = _upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv")
    assert answer.status_code == 200 and 'class="error"' in answer.get_data(as_text=True)
    with app.app_context():
        assert count(PurchaseImport) == 0


def test_staff_cannot_run_a_chunk(app, client, make_user):
    with app.app_context():
        record = import_files.upload("sales.csv", plain(range(3)), None)
        import_mapping.confirm_proposed(record)
        db.session.commit()
        import_id = record.id
    log_in(client, make_user("staff"))
    token = csrf_from(client.get("/account").get_data(as_text=True))
    answer = client.post(f"/purchases/imports/{import_id}/chunk", data={"csrf_token": token})
    assert answer.status_code == 403
    with app.app_context():
        assert count(Purchase) == 0


def test_a_chunk_of_an_unconfirmed_import_answers_409_in_json(app, client, make_user):
    log_in(client, make_user("marketer"))
    url = _upload(client, plain(range(3))).headers["Location"]
    token = csrf_from(client.get(url).get_data(as_text=True))
    answer = client.post(url + "/chunk", headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "import_not_confirmed"
    with app.app_context():
        assert count(Purchase) == 0


def test_a_mapping_without_a_required_column_is_shown_again_with_the_problem(app, client, make_user):
    log_in(client, make_user("marketer"))
    url = _upload(client, plain(range(3))).headers["Location"]
    form = {"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), "source": "plain",
            "decimal_mark": ".", "date_order": "ymd", "time_zone": "UTC", "column_date": "Date",
            "column_amount": "", "column_external_id": "ID", "column_email": "Email", "start": "y"}
    answer = client.post(url + "/mapping", data=form)
    assert answer.status_code == 422 and 'id="column_amount-error"' in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PurchaseImport, int(url.rsplit("/", 1)[1])).status == "uploaded"
        assert count(ImportMapping) == 0


def test_update_preview_keeps_the_choice_and_another_kind_gets_its_own_columns(app, client, make_user):
    # The signed-in address ends like a customer's of the file: only the preview's own cells may not show it.
    log_in(client, make_user("marketer", email="marketer-abc0@example.com"))
    url = _upload(client, plain(range(3))).headers["Location"]
    form = {"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), "source": "plain",
            "decimal_mark": ".", "date_order": "ymd", "time_zone": "UTC", "column_date": "Date",
            "column_amount": "Amount", "column_external_id": "ID", "column_email": "", "preview": "y"}
    assert client.post(url + "/mapping", data=form).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert not re.search(r"(?<![\w.+-])c0@example\.com", page) and "sale-0" in page  # e-mail no longer read
    assert client.post(url + "/mapping", data=dict(form, source="square_customers")).status_code == 302
    assert "Square customer ID" in client.get(url).get_data(as_text=True)
    with app.app_context():
        record = db.session.get(PurchaseImport, int(url.rsplit("/", 1)[1]))
        assert (record.source, record.status) == ("square_customers", "uploaded")


def test_what_a_new_file_shows_wins_over_the_last_files_options_and_missing_columns(ctx):
    german = "Datum;Betrag;Telefon;ID\n23.11.2026;1.234,56;+49 30 1234567;de-1\n05.11.2026;12,50;+49 30 1234568;de-2\n"
    started(german.encode("cp1252"), "kasse.csv")
    us = f"{HEADER}\n11/05/2026,12.50,ana@example.com,,us-1\n11/20/2026,1234.56,bo@example.com,,us-2\n"
    record = import_files.upload("us.csv", us.encode(), None)
    source, columns, options = import_mapping.proposal(record)
    assert source == "plain" and columns["email"] == "Email"  # the German file had no e-mail column
    assert (options.decimal_mark, options.date_order) == (".", "mdy")
    import_mapping.confirm_proposed(record)
    ambiguous = f"{HEADER}\n05/11/2026,7,c@example.com,,p-1\n"  # either order: the one last confirmed (US)
    assert import_mapping.proposal(import_files.upload("p.csv", ambiguous.encode(), None))[2].date_order == "mdy"
    started(german.replace("de-", "de2-").encode("cp1252"), "kasse2.csv")
    assert import_mapping.proposal(import_files.upload("p2.csv", ambiguous.encode(), None))[2].date_order == "dmy"


def test_a_refund_listed_before_its_sale_in_another_chunk_is_stored_after_the_last_chunk(ctx):
    header = "Date,Amount,Email,Phone,ID,Refund of"
    rows = ["2026-03-09 10:00,-0.40,,,refund-1,sale-1", "2026-03-09 11:00,-9.00,,,refund-x,no-such-sale"]
    rows += [f"2026-03-0{n} 10:00,{n}.00,c{n}@example.com,,sale-{n}," for n in range(1, 6)]
    record = started((header + "\n" + "\n".join(rows) + "\n").encode(), "newest-first.csv")
    chunks = list(import_runs.run_all(record, size=2))
    assert chunks[0]["problems"] == []  # not refused yet: its sale may come further down
    refund = db.session.scalar(select(Purchase).where(Purchase.external_id == "refund-1"))
    sale = db.session.scalar(select(Purchase).where(Purchase.external_id == "sale-1"))
    assert (refund.refund_of_id, refund.amount_cents, refund.customer_id) == (sale.id, -40, sale.customer_id)
    assert (record.status, record.created, record.failed, record.deferred) == ("done", 6, 1, 0)
    assert [p["line"] for p in import_runs.problems(record)] == [3]


def test_the_preview_says_what_the_import_will_do_with_each_row(ctx):
    first = started(plain(range(3)), "march.csv")
    list(import_runs.run_all(first))
    header = "Date,Amount,Email,Phone,ID,Location"
    data = (f"{header}\n2026-03-01 10:00,1.50,c0@example.com,,sale-0,\n"
            "2026-03-02 10:00,2.00,c1@example.com,,sale-new,Nowhere Cafe\n"
            "2026-03-03 10:00,3.00,c2@example.com,,sale-new-2,\n").encode()
    record = import_files.upload("april.csv", data, None)
    shown = {row.line: row for row in import_mapping.preview(record)}
    assert shown[2].stored_before and shown[2].problem is None
    assert "Nowhere Cafe" in shown[3].problem
    assert shown[4].kind == "sale" and not shown[4].stored_before
    assert count(Purchase) == 3  # the preview stored nothing
