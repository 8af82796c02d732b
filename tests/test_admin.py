"""The administrator's tab (rag.admin, rag.admin_auth): token checks, uploads with per-file status, bad
input refused with its reason and nothing lost, metadata corrected, documents removed, the new index
swapped into the running process. Fast tier: the fake embedder and a small library written here."""

from __future__ import annotations

import json
import time
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag import admin, admin_auth, retrieval
from rag.build import build_index
from rag.errors import AccessError, InputError, StorageError
from rag.index import check_index
from rag.settings import Settings

TOKEN = "s3cret-admin-token-for-tests"
OTHER = "another-token-of-enough-length"

RULES = "测试市智能工厂管理办法\n第一章 总则\n第一条 为了推进智能制造，制定本办法。\n第二条 到2027年，测试市新建智能工厂120家。\n"
LIBRARY = {
    "plan.txt": "测试省数字经济规划\n一、总体要求\n到2025年，数字经济核心产业增加值占生产总值比重达到15%。\n二、重点任务\n建设数据中心集群。\n",
    "notice.txt": "测试省关于工业用地的通知\n一、用地保障\n工业用地出让比例不低于30%。\n二、审批\n审批时限压缩到20个工作日。\n",
}


@pytest.fixture
def lib(tmp_path, fake_embedder) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in LIBRARY.items():
        (corpus / name).write_text(text, encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False, admin_token=TOKEN)
    build_index(settings)
    yield settings
    retrieval.reset_cache()


def _as_admin(settings: Settings, token: str = TOKEN) -> SimpleNamespace:
    """A request as Gradio hands it to a handler, carrying the session cookie made with ``token``."""
    value = admin_auth.session_value(settings.replace(admin_token=token))
    return SimpleNamespace(headers={"cookie": f"other=1; {admin_auth.COOKIE}={value}"})


OFFICIAL = SimpleNamespace(headers={"cookie": "other=1"})


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _final(statuses) -> dict[str, admin.FileStatus]:
    return {s.name: s for s in list(statuses)[-1]}


def _pdf_bytes(text: str = "Test policy page") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 7, text=text)
    return bytes(pdf.output())


# --- the token -------------------------------------------------------------------------------------------


def test_token_session_and_header_checks():
    s = Settings(admin_token=TOKEN)
    assert admin_auth.token_matches(TOKEN, s) and not admin_auth.token_matches(TOKEN[:-1], s)
    assert not admin_auth.token_matches("", Settings())  # no token set: nobody is the administrator
    value = admin_auth.session_value(s, now=1000)
    assert TOKEN not in value  # the cookie is a signature, never the token
    assert admin_auth.session_valid(value, s, now=2000)
    assert not admin_auth.session_valid(value, s, now=1000 + admin_auth.SESSION_SECONDS + 1)  # expired
    assert not admin_auth.session_valid(value, s.replace(admin_token=OTHER), now=2000)  # signed with another token
    expires, _, sig = value.partition(".")
    assert not admin_auth.session_valid(f"{int(expires) + 9999}.{sig}", s, now=2000)  # expiry pushed: signature fails
    assert admin_auth.is_admin({"x-admin-token": TOKEN}, s)
    assert admin_auth.is_admin({"cookie": f"{admin_auth.COOKIE}={admin_auth.session_value(s)}"}, s)
    assert not admin_auth.is_admin({"cookie": f"{admin_auth.COOKIE}=garbage"}, s)
    assert not admin_auth.is_admin({"x-admin-token": TOKEN}, Settings())


def test_the_token_is_a_setting_never_shown_and_a_short_one_is_refused():
    s = Settings.from_env({"RAG_ADMIN_TOKEN": f"  {TOKEN}\n"})
    assert s.admin_token == TOKEN and TOKEN not in repr(s)
    with pytest.raises(InputError, match="RAG_ADMIN_TOKEN"):
        Settings.from_env({"RAG_ADMIN_TOKEN": "short"})


def test_without_the_token_every_action_is_refused_and_nothing_changes(lib, tmp_path):
    good = tmp_path / "rules.txt"
    good.write_text(RULES, encoding="utf-8")
    before, live = _files(lib.corpus_dir), check_index(lib)
    for request in (OFFICIAL, _as_admin(lib, OTHER), SimpleNamespace(headers={"x-admin-token": OTHER}), None):
        with pytest.raises(AccessError, match="/admin"):
            list(admin.upload([str(good)], request, lib))
        with pytest.raises(AccessError):
            admin.correct("plan", {"title": "改过的标题"}, request, lib)
        with pytest.raises(AccessError):
            admin.remove("plan", True, request, lib)
        assert admin.reveal(request, lib) == (False, [], [])  # the tab stays hidden, the library unlisted
    assert _files(lib.corpus_dir) == before and check_index(lib) == live


# --- uploads ---------------------------------------------------------------------------------------------


def test_upload_reports_each_file_and_the_running_index_is_swapped(lib, tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    (up / "rules.txt").write_text(RULES, encoding="utf-8")
    (up / "virus.pdf").write_bytes(b"MZ\x90\x00 an exe renamed")
    old = retrieval.get_retriever(lib)  # what a question in flight holds
    steps = list(admin.upload([str(up / "rules.txt"), str(up / "virus.pdf")], _as_admin(lib), lib))
    states = [[s.state for s in step] for step in steps]
    assert states[0] == ["waiting", "waiting"] and ["checking", "waiting"] in states and ["indexing", "failed"] in states
    final = _final(steps)
    assert final["rules.txt"].state == "indexed"
    assert final["virus.pdf"].state == "failed" and "virus.pdf cannot be read as PDF" in final["virus.pdf"].reason
    assert "virus.pdf" not in _files(lib.corpus_dir)
    # The chat's next question gets the new index without a restart; the old one still answers what it had.
    new = retrieval.get_retriever(lib)
    assert new is not old
    hits = new.search("测试市新建智能工厂多少家", k=3, retriever="bm25")
    assert hits[0].doc_id == "rules" and "120家" in hits[0].text
    assert old.search("数字经济核心产业增加值", k=1, retriever="bm25")[0].doc_id == "plan"
    rows = {r[0]: r for r in admin.documents_table(lib)}
    assert set(rows) == {"plan", "notice", "rules"} and rows["rules"][1] == "测试市智能工厂管理办法"
    assert rows["rules"][8] >= 1 and rows["rules"][9] == "读自原文"  # passages in the live index; record read from the text


def test_questions_asked_during_an_update_are_all_answered(lib, tmp_path):
    import threading

    from rag.answer import ask

    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    errors, docs_seen, stop = [], set(), threading.Event()

    def official():
        while not stop.is_set():
            try:
                answer = ask("测试市新建智能工厂多少家？", settings=lib)
                docs_seen.update(c.doc_id for c in answer.citations)
                retrieval.get_retriever(lib).search("工业用地出让比例", k=2, retriever="bm25")
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=official) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        final = _final(admin.upload([str(tmp_path / "rules.txt")], _as_admin(lib), lib))
        deadline = time.monotonic() + 20
        while "rules" not in docs_seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert final["rules.txt"].state == "indexed" and errors == []
    assert "rules" in docs_seen  # answered from the new index, in the same process, without a restart


def test_an_answering_process_follows_a_build_made_live_by_another(lib):
    """API worker processes (RAG_API_WORKERS) did not rebuild: they load the new build at their next question."""
    from rag import workers

    workers._init(lib)  # what a worker process does when it starts
    assert {d.doc_id for d in workers._work("documents", {})} == {"plan", "notice"}
    (lib.corpus_dir / "rules.txt").write_text(RULES, encoding="utf-8")
    build_index(lib)  # the server process's build; this process's cache is not told
    assert "rules" in {d.doc_id for d in workers._work("documents", {})}


def test_the_chat_follows_a_build_made_by_rag_add_beside_it(lib):
    import app

    app.configure(lib)
    try:
        first, _ = app.answer_question("测试市新建智能工厂多少家？", [])
        assert "rules" not in {c.doc_id for c in first.citations}
        (lib.corpus_dir / "rules.txt").write_text(RULES, encoding="utf-8")
        build_index(lib)  # as `rag add` in another process would
        after, _ = app.answer_question("测试市新建智能工厂多少家？", [])
        assert after.found and after.citations[0].doc_id == "rules"
    finally:
        app.configure(None)


def test_only_new_passages_are_embedded(lib, tmp_path, fake_embedder):
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    fake_embedder.passage_calls = 0
    list(admin.upload([str(tmp_path / "rules.txt")], _as_admin(lib), lib))
    # The new document's passages and sentences only: the two documents already indexed come from the cache.
    new_rows = sum(1 + len(c.units) for c in retrieval.get_retriever(lib).index.chunks if c.doc_id == "rules")
    assert fake_embedder.passage_calls == new_rows


def test_only_new_files_are_read(lib, tmp_path, monkeypatch):
    from rag import paged

    (lib.corpus_dir / "old.pdf").write_bytes(_pdf_bytes("Industrial land policy. Approval within 20 working days."))
    build_index(lib)
    read = []
    real = paged.read_pdf
    monkeypatch.setattr(paged, "read_pdf", lambda name, raw: read.append(name) or real(name, raw))
    (tmp_path / "new.pdf").write_bytes(_pdf_bytes("Smart factories. The city will build 120 new smart factories by 2027 and support 35 providers."))
    final = _final(admin.upload([str(tmp_path / "new.pdf")], _as_admin(lib), lib))
    assert final["new.pdf"].state == "indexed", final
    assert read == ["new.pdf"]  # read once when checked, reused by the build; old.pdf not read again
    assert {"old", "new"} <= {d.doc_id for d in check_index(lib).documents}


def test_a_file_with_no_text_left_once_cleaned_is_refused_with_the_builds_reason(lib, tmp_path):
    (tmp_path / "empty.md").write_text("# 标题\n\n<!-- -->\n", encoding="utf-8")
    before = _files(lib.corpus_dir)
    final = _final(admin.upload([str(tmp_path / "empty.md")], _as_admin(lib), lib))
    assert final["empty.md"].state == "failed" and "未收录" in final["empty.md"].reason, final
    assert _files(lib.corpus_dir) == before


def test_bad_files_are_refused_with_their_reason_and_the_old_index_still_serves(lib, tmp_path):
    import pypdf

    up = tmp_path / "up"
    up.mkdir()
    source = up / "src.pdf"
    source.write_bytes(_pdf_bytes())
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(up / "locked.pdf", "wb") as fh:
        writer.write(fh)
    (up / "cut.pdf").write_bytes(source.read_bytes()[: len(source.read_bytes()) // 3])
    (up / "setup.pdf").write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200))  # an .exe renamed .pdf
    with open(up / "huge.txt", "wb") as fh:
        fh.truncate(200 * 2**20)  # 200 MB, sparse
    bomb = up / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("folder/big.txt", b"0" * (30 * 2**20))  # 30 MB of zeros packs to ~30 KB
    sneaky = up / "sneaky.zip"
    with zipfile.ZipFile(sneaky, "w") as z:
        z.writestr("ok.txt", RULES)
        z.writestr("../../etc/evil.txt", RULES)
    before, live, old = _files(lib.corpus_dir), check_index(lib), retrieval.get_retriever(lib)
    names = ["locked.pdf", "cut.pdf", "setup.pdf", "huge.txt", "bomb.zip", "sneaky.zip"]
    (up / "evil.txt").write_text(RULES, encoding="utf-8")
    named = {"path": str(up / "evil.txt"), "orig_name": "../../evil.txt", "meta": {"_type": "gradio.FileData"}}  # a hand-made request
    final = _final(admin.upload([str(up / n) for n in names] + [named], _as_admin(lib), lib))
    assert final["../../evil.txt"].state == "failed" and "folder part" in final["../../evil.txt"].reason
    reasons = {n: final[n].reason for n in names}
    assert all(final[n].state == "failed" for n in names), final
    assert "locked.pdf is an encrypted PDF" in reasons["locked.pdf"]
    assert "cut.pdf" in reasons["cut.pdf"] and "setup.pdf cannot be read as PDF" in reasons["setup.pdf"]
    assert "huge.txt is 200 MB" in reasons["huge.txt"]
    assert "压缩炸弹" in reasons["bomb.zip"] and "zip bomb" in reasons["bomb.zip"]
    assert "../../etc/evil.txt" in reasons["sneaky.zip"] and "outside the folder" in reasons["sneaky.zip"]
    assert _files(lib.corpus_dir) == before and check_index(lib) == live
    assert retrieval.get_retriever(lib) is old  # nothing was built, nothing swapped
    assert not (tmp_path / "etc").exists() and not list(lib.corpus_dir.glob(".undo-*"))


def test_a_zipped_folder_adds_its_files(lib, tmp_path):
    folder = tmp_path / "batch.zip"
    with zipfile.ZipFile(folder, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("政策/rules.txt", RULES)
        z.writestr("政策/readme.exe", b"MZ")
        z.writestr("__MACOSX/._rules.txt", b"junk")
    final = _final(admin.upload([str(folder)], _as_admin(lib), lib))
    assert final["batch.zip › rules.txt"].state == "indexed"
    assert final["batch.zip › readme.exe"].state == "failed" and "cannot be read" in final["batch.zip › readme.exe"].reason
    (tmp_path / "rules.txt").write_text("另一个同名文件\n一、总则\n正文。\n", encoding="utf-8")
    again = _final(admin.upload([str(folder), str(tmp_path / "rules.txt")], _as_admin(lib), lib))
    assert again["rules.txt"].state == "failed" and "同名" in again["rules.txt"].reason  # the zip's rules.txt came first
    assert (lib.corpus_dir / "rules.txt").read_text(encoding="utf-8") == RULES
    assert "rules" in {d.doc_id for d in check_index(lib).documents}


def test_a_failed_build_puts_the_library_back_and_the_old_index_answers(lib, tmp_path, monkeypatch):
    from rag import build

    def full_disk(*a, **kw):
        raise StorageError("磁盘已满。(The disk is full.)")

    (tmp_path / "plan.txt").write_text(RULES, encoding="utf-8")  # replaces a document of the library
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    before, live, old = _files(lib.corpus_dir), check_index(lib), retrieval.get_retriever(lib)
    monkeypatch.setattr(build, "build_index", full_disk)
    final = _final(admin.upload([str(tmp_path / "plan.txt"), str(tmp_path / "rules.txt")], _as_admin(lib), lib))
    assert {s.state for s in final.values()} == {"failed"}
    assert "恢复原状" in final["rules.txt"].reason and "disk is full" in final["rules.txt"].reason
    assert _files(lib.corpus_dir) == before and check_index(lib) == live and retrieval.get_retriever(lib) is old


def test_a_client_that_leaves_mid_upload_leaves_the_library_as_it_was(lib, tmp_path):
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    before = _files(lib.corpus_dir)
    steps = admin.upload([str(tmp_path / "rules.txt")], _as_admin(lib), lib)
    while not any(s.state == "checked" for s in next(steps)):
        pass
    assert "rules.txt" in _files(lib.corpus_dir)
    steps.close()  # Gradio closes the generator when the page goes away
    assert _files(lib.corpus_dir) == before and not list(lib.corpus_dir.glob(".undo-*"))


# --- metadata and removal ---------------------------------------------------------------------------------


def test_correcting_metadata_writes_the_manifest_and_updates_the_index(lib):
    message = admin.correct("plan", {"title": "测试省数字经济发展规划（2021—2025年）", "issuer": "测试省人民政府",
                                     "date": "2021-06-30", "kind": "policy", "doc_number": "测政发〔2021〕9号"}, _as_admin(lib), lib)
    assert message.startswith("已保存")
    [entry] = tomllib.loads((lib.corpus_dir / "manifest.toml").read_text(encoding="utf-8"))["document"]
    # kind was already "policy" (read from the title "…规划"): only what changed is written.
    assert entry == {"id": "plan", "file": "plan.txt", "title": "测试省数字经济发展规划（2021—2025年）", "issuer": "测试省人民政府",
                     "date": "2021-06-30", "doc_number": "测政发〔2021〕9号"}
    assert admin.correct("plan", admin.record_of("plan", lib), _as_admin(lib), lib).startswith("没有改动")
    info = {d.doc_id: d for d in retrieval.get_retriever(lib).index.manifest.documents}["plan"]
    assert (info.title, info.issuer, info.date) == ("测试省数字经济发展规划（2021—2025年）", "测试省人民政府", "2021-06-30")
    assert admin.record_of("plan", lib)["doc_number"] == "测政发〔2021〕9号"
    # An empty field drops the override (what was read applies again); the other fields stay.
    admin.correct("plan", {"doc_number": "", "title": 'A "quoted" \\ title'}, _as_admin(lib), lib)
    [entry] = tomllib.loads((lib.corpus_dir / "manifest.toml").read_text(encoding="utf-8"))["document"]
    assert "doc_number" not in entry and entry["title"] == 'A "quoted" \\ title' and entry["issuer"] == "测试省人民政府"


def test_bad_metadata_is_refused_and_the_manifest_is_unchanged(lib):
    admin.correct("plan", {"title": "规划"}, _as_admin(lib), lib)
    manifest = (lib.corpus_dir / "manifest.toml").read_bytes()
    assert "未保存" in admin.correct("plan", {"kind": "poem"}, _as_admin(lib), lib)
    assert "未保存" in admin.correct("plan", {"title": "两行\n标题"}, _as_admin(lib), lib)
    assert "No document 'nope'" in admin.correct("nope", {"title": "x"}, _as_admin(lib), lib)
    assert (lib.corpus_dir / "manifest.toml").read_bytes() == manifest


def test_removing_a_document_updates_the_index_and_the_last_one_cannot_go(lib):
    assert admin.remove("notice", False, _as_admin(lib), lib).startswith("请勾选")
    assert admin.remove("notice", True, _as_admin(lib), lib).startswith("已删除")
    assert [d.doc_id for d in retrieval.get_retriever(lib).index.manifest.documents] == ["plan"]
    before, live = _files(lib.corpus_dir), check_index(lib)
    message = admin.remove("plan", True, _as_admin(lib), lib)  # an empty library cannot be indexed
    assert message.startswith("未删除") and "No readable documents" in message
    assert _files(lib.corpus_dir) == before and check_index(lib) == live


def test_only_the_administrators_chat_requests_may_carry_files():
    from rag.guard import chat_payload_problem

    body = json.dumps({"data": [[{"path": "/tmp/x.pdf", "orig_name": "x.pdf", "meta": {"_type": "gradio.FileData"}}]]}).encode()
    assert "malformed" in chat_payload_problem(body)
    assert chat_payload_problem(body, files=True) == ""
    messages = json.dumps({"data": [[{"role": "tool", "content": "x"}]]}).encode()
    assert chat_payload_problem(messages, files=True)  # still only messages and files


def test_status_table_escapes_names_and_reasons():
    html = admin.status_html([admin.FileStatus("<b>x</b>.pdf", "failed", "<script>alert(1)</script>")])
    assert "<script>" not in html and "&lt;b&gt;x&lt;/b&gt;.pdf" in html and "未收录 1" in html


# --- over HTTP: the login, the guard's upload route -------------------------------------------------------


@pytest.fixture
def site(lib):
    import httpx

    import app

    from .test_api import Served

    served = Served(app.create_app(lib))
    yield served, httpx.Client(base_url=served.url, timeout=30)
    served.stop()
    app.configure(None)


def _login(client, token: str):
    return client.post("/admin/login", data={"token": token}, follow_redirects=False)


def test_login_sets_a_session_that_opens_the_upload_route_only_for_the_administrator(site, monkeypatch):
    served, client = site
    monkeypatch.setattr(admin_auth, "FAILED_LOGIN_DELAY", 0.0)
    files = {"files": ("rules.txt", RULES.encode("utf-8"))}
    refused = client.post("/gradio_api/upload", files=files)
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "upload_disabled"
    assert client.get("/admin").status_code == 200 and 'type="password"' in client.get("/admin").text
    wrong = _login(client, OTHER)
    assert wrong.status_code == 401 and "Wrong token" in wrong.text and admin_auth.COOKIE not in client.cookies
    assert client.post("/gradio_api/upload", files=files).status_code == 403
    ok = _login(client, TOKEN)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and TOKEN not in cookie
    up = client.post("/gradio_api/upload", files=files)
    assert up.status_code == 200, up.text
    [stored] = up.json()
    assert Path(stored).name == "rules.txt" and Path(stored).read_text(encoding="utf-8") == RULES
    # A name with ../ stays a name: the file lands in Gradio's upload folder, nowhere else.
    [sneaky] = client.post("/gradio_api/upload", files={"files": ("../../sneaky.txt", b"x")}).json()
    assert Path(sneaky).name == "sneaky.txt" and Path(sneaky).parent.parent == Path(stored).parent.parent
    out = client.post("/admin/logout", follow_redirects=False)
    assert out.status_code == 303 and admin_auth.COOKIE not in client.cookies
    assert client.post("/gradio_api/upload", files=files).status_code == 403
    # The token itself, for scripts:
    import httpx

    assert httpx.post(served.url + "/gradio_api/upload", files=files, headers={"X-Admin-Token": TOKEN}).status_code == 200
    assert httpx.post(served.url + "/gradio_api/upload", files=files, headers={"X-Admin-Token": OTHER}).status_code == 403


def test_an_upload_over_the_limit_is_refused_before_it_is_read(site):
    import socket

    served, client = site
    assert _login(client, TOKEN).status_code == 303
    cookie = f"{admin_auth.COOKIE}={client.cookies[admin_auth.COOKIE]}"
    # A 200 MB upload announced by its length: refused at once (nothing of it is sent).
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(
            (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nCookie: {cookie}\r\n"
             f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {200 * 2**20}\r\n\r\n").encode()
        )
        reply = b""
        while not reply.endswith(b"}}") and (chunk := sock.recv(4096)):
            reply += chunk
        reply = reply.decode("utf-8")
    assert reply.startswith("HTTP/1.1 413") and "100 MB" in reply
    # Sent without a length (chunked), it is cut off once past the limit.
    start = time.monotonic()

    def body():
        yield b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n\r\n"
        for _ in range(120):
            yield b"0" * 2**20

    r = client.post("/gradio_api/upload", content=body(), headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"
    assert time.monotonic() - start < 60
    assert client.get("/api/health").json()["status"] == "ok"  # the server still answers


def test_without_a_token_there_is_no_admin_tab_route_or_upload(lib):
    import httpx

    import app

    from .test_api import Served

    labels = [c.get("props", {}).get("label") for c in app.build_demo(admin=False).config["components"]]
    assert "管理文件库" not in labels
    tab = next(c for c in app.build_demo(admin=True).config["components"] if c.get("props", {}).get("label") == "管理文件库")
    assert tab["props"]["visible"] is False  # built hidden: shown only by the administrator's page load
    served = Served(app.create_app(lib.replace(admin_token="")))
    try:
        assert httpx.get(served.url + "/admin").status_code == 404
        r = httpx.post(served.url + "/gradio_api/upload", files={"files": ("a.txt", b"x")}, headers={"X-Admin-Token": TOKEN})
        assert r.status_code == 403
    finally:
        served.stop()
        app.configure(None)


def _queue_call(client, fn_name: str, data: list, headers: dict | None = None) -> str:
    """Call one of the page's events through Gradio's queue, as a page would; the whole event stream."""
    import app

    blocks = app.build_demo(admin=True)
    fn = next(i for i, d in enumerate(blocks.config["dependencies"]) if d.get("api_name") == fn_name)
    session = f"test-{fn_name}-{time.monotonic_ns()}"
    joined = client.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn, "session_hash": session}, headers=headers or {})
    assert joined.status_code == 200, joined.text
    with client.stream("GET", f"/gradio_api/queue/data?session_hash={session}", headers=headers or {}) as r:
        text = ""
        for chunk in r.iter_text():
            text += chunk
            if "process_completed" in text:
                break
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    return json.dumps([e.get("output", {}).get("data") for e in events if e.get("msg") == "process_completed"], ensure_ascii=False)


def test_the_tabs_events_refuse_an_official_through_the_queue(site):
    served, client = site
    settings = app_settings()
    before = _files(settings.corpus_dir)
    stream = _queue_call(client, "on_remove", ["plan", True])
    assert "需要管理员令牌" in stream and "已删除" not in stream
    assert "需要管理员令牌" in _queue_call(client, "on_upload", [[]])
    assert _files(settings.corpus_dir) == before and "plan" in {d.doc_id for d in check_index(settings).documents}
    stream = _queue_call(client, "on_remove", ["plan", True], headers={"X-Admin-Token": TOKEN})
    assert "已删除 plan" in stream and "plan" not in {d.doc_id for d in check_index(settings).documents}


def app_settings() -> Settings:
    import app

    return app.get_settings()
