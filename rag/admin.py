"""The administrator's tab of the chat: upload files or a zipped folder, list, correct and remove documents.

Only with ``RAG_ADMIN_TOKEN`` set (`rag.admin_auth`): the tab is built hidden and shown to a
page whose request carries the administrator's session; every action checks it again here,
server side, before it touches anything. The work is `rag.manage`'s (the checks and messages of
``rag add`` / ``rag remove``), one change at a time:

1. the library folder is changed (each file checked before it is copied in; a bad one is
   reported with its reason and the others still go in), with a `Rollback` kept;
2. the index is rebuilt (`build_index`: atomic, and only passages not embedded before are
   embedded); officials keep getting answers from the loaded index meanwhile;
3. if the build fails, the folder is put back as it was; if it succeeds, the chat's loaded
   index is replaced (`reset_cache`): questions already being answered finish on the old one,
   the next ones get the new one, with no restart.
"""

import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import admin_auth
from .chat import escape
from .document import KINDS
from .errors import AccessError, RagError
from .ingest import MANIFEST_NAME
from .manage import EDITABLE, MAX_BYTES, Rollback, add_files, list_documents, remove_document, set_metadata, unpack_zip
from .readers import SUFFIXES
from .settings import Settings

_changing = threading.Lock()  # one change to the library at a time (a build also holds the index's lock)

STATE_TEXT = {"waiting": "等待检查", "checking": "检查中", "checked": "已检查，等待更新索引", "indexing": "正在更新索引",
              "indexed": "已收录", "failed": "未收录"}
FIELD_LABELS = {"title": "标题", "issuer": "发文机关", "date": "日期（如 2022-08-30）", "kind": "类别", "doc_number": "发文字号",
                "effective": "施行日期", "repealed": "废止日期", "superseded_by": "被哪个文件取代（文件编号）"}
READ_NOTE = "标题、发文机关、日期等读自原文，可在“更正元数据”中修改。(The record was read from the text; correct it below.)"
COLUMNS = ["编号", "标题", "发文机关", "日期", "类别", "发文字号", "施行", "页数", "段落数", "记录来自"]


@dataclass(frozen=True)
class FileStatus:
    """One uploaded file's progress: its name, state (a key of STATE_TEXT) and the reason it failed, or a note."""

    name: str
    state: str
    reason: str = ""


def require_admin(request: Any, settings: Settings) -> None:
    """Raise `AccessError` unless the request is the administrator's (checked on every action)."""
    if not admin_auth.is_admin(getattr(request, "headers", None), settings):
        raise AccessError(admin_auth.NOT_ADMIN)


def _uploads(paths: Iterable[Any], work: Path) -> Iterator[tuple[str, Path | None, str]]:
    """(shown name, file, reason it cannot be added) of each upload; a zip gives its files."""
    for item in paths or []:
        path = Path(getattr(item, "path", None) or (item.get("path") if isinstance(item, dict) else item))
        name = str(getattr(item, "orig_name", None) or (item.get("orig_name") if isinstance(item, dict) else "") or path.name)
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            yield name, None, f"文件名 {name!r} 含路径，未收录。(The name {name!r} has a folder part; upload the file itself.)"
            continue
        if path.suffix.lower() != ".zip":
            yield name, path, ""
            continue
        folder = Path(tempfile.mkdtemp(dir=work))
        try:
            members = unpack_zip(path, folder)
        except RagError as exc:
            yield name, None, str(exc)
            continue
        if not members:
            yield name, None, f"{name} 里没有文件。({name} holds no files.)"
        for member in members:
            yield f"{name} › {member.name}", member, ""


def upload(paths: Iterable[Any], request: Any, settings: Settings) -> Iterator[list[FileStatus]]:
    """Add uploaded files (or the files of uploaded zips) to the library and update the index, yielding
    every file's status as it changes. Refused whole (`AccessError`) without the administrator's token."""
    require_admin(request, settings)
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as work, _changing:
        found = list(_uploads(paths, Path(work)))
        status = [FileStatus(n, "failed", why) if why else FileStatus(n, "waiting") for n, _, why in found]
        yield list(status)
        rollback = Rollback(settings.corpus_dir)
        added: list[int] = []
        try:  # a client gone mid-way (GeneratorExit) or an error: the folder goes back as it was
            for i, (name, path, why) in enumerate(found):
                if why or path is None:
                    continue
                status[i] = FileStatus(name, "checking")
                yield list(status)
                if any(found[j][1].name == path.name for j in added):
                    status[i] = FileStatus(name, "failed", f"本次上传中已有同名文件 {path.name}。(Another file of this upload is "
                                           f"named {path.name}; the library is one folder: rename one and upload it again.)")
                    yield list(status)
                    continue
                try:
                    replaced = (Path(settings.corpus_dir) / path.name).exists()
                    rollback.keep(path.name)
                    add_files(settings.corpus_dir, [path])  # checks the file completely before copying it in
                except (RagError, OSError) as exc:
                    status[i] = FileStatus(name, "failed", str(exc))
                else:
                    added.append(i)
                    status[i] = FileStatus(name, "checked", "替换了文件库中的同名文件。(Replaces the file of that name.)" if replaced else "")
                yield list(status)
            if not added:
                rollback.done()
                return
            for i in added:
                status[i] = FileStatus(status[i].name, "indexing", status[i].reason)
            yield list(status)
            notes = update_index(settings, rollback)
        except RagError as exc:
            for i in added:
                status[i] = FileStatus(status[i].name, "failed", f"更新索引失败，文件库已恢复原状，仍按原索引回答：{exc}"
                                       " (The index could not be updated; the library is as it was and the old index still answers.)")
            yield list(status)
            return
        finally:
            rollback.undo()  # nothing after update_index or done(); else the change is taken back
        for i in added:
            name = Path(status[i].name.split(" › ")[-1]).name
            said = [READ_NOTE if f"no entry in {MANIFEST_NAME}" in n else n for n in notes if name in n]
            status[i] = FileStatus(status[i].name, "indexed", " ".join([status[i].reason, *said]).strip())
        yield list(status)


def update_index(settings: Settings, rollback: Rollback) -> list[str]:
    """Rebuild the index after a change to the folder and swap it into this process; the folder is put
    back (``rollback``) if the build fails. Returns the build's warnings (a file read only in part…)."""
    from .build import build_index
    from .ingest import CorpusWarning
    from .retrieval import get_retriever, reset_cache

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CorpusWarning)
            build_index(settings)
    except BaseException:
        rollback.undo()
        raise
    rollback.done()
    # In-flight questions hold the retriever they started with; the next ones load the new build.
    reset_cache()
    get_retriever(settings)
    return [str(w.message) for w in caught if issubclass(w.category, CorpusWarning)]


def documents_table(settings: Settings) -> list[list[Any]]:
    """One row per document of the library (COLUMNS): its record, pages, and passages in the live index."""
    from .index import check_index

    listed, _ = list_documents(settings.corpus_dir)
    try:
        passages = {d.doc_id: d.chunks for d in check_index(settings).documents}
    except RagError:
        passages = {}
    rows = []
    for item in listed:
        d, info = item.document, item.document.info
        source = "清单" if item.from_manifest else "读自原文"
        rows.append([d.doc_id, d.title, d.issuer, d.date, KINDS.get(d.kind, d.kind), info.doc_number, info.effective,
                     item.pages or "", passages.get(d.doc_id, "未收录"), source])
    return rows


def record_of(doc_id: str, settings: Settings) -> dict[str, str]:
    """The editable fields of a document as they are now (read from the text, or set in the manifest)."""
    listed, _ = list_documents(settings.corpus_dir)
    d = next((i.document for i in listed if i.document.doc_id == doc_id), None)
    if d is None:
        return {name: "" for name in EDITABLE}
    own = {"title": d.title, "issuer": d.issuer, "date": d.date, "kind": d.kind}
    return {name: str(own.get(name, getattr(d.info, name, "")) or "") for name in EDITABLE}


def correct(doc_id: str, values: dict[str, str], request: Any, settings: Settings) -> str:
    """Write corrected fields into the manifest (atomically) and update the index; the message to show."""
    require_admin(request, settings)
    with _changing:
        # Only what the administrator changed goes into the manifest: a field left as it was read stays read.
        current = record_of(doc_id, settings)
        changed = {k: str(v or "").strip() for k, v in values.items() if str(v or "").strip() != current.get(k, "")}
        if not changed:
            return "没有改动。(Nothing was changed.)"
        rollback = Rollback(settings.corpus_dir)
        rollback.keep(MANIFEST_NAME)
        try:
            set_metadata(settings.corpus_dir, doc_id, changed)
            update_index(settings, rollback)
        except RagError as exc:
            return f"未保存：{exc}"
        finally:
            rollback.undo()  # does nothing once update_index has made the change stand
    return f"已保存 {doc_id} 的元数据（{'、'.join(FIELD_LABELS[k].split('（')[0] for k in changed)}），索引已更新。(Saved; the index is updated.)"


def remove(doc_id: str, confirmed: bool, request: Any, settings: Settings) -> str:
    """Remove a document (its file and manifest entry) and update the index; the message to show."""
    require_admin(request, settings)
    if not doc_id:
        return "请先选择要删除的文件。(Choose the document to remove.)"
    if not confirmed:
        return "请勾选“确认删除”。(Tick the confirmation first.)"
    with _changing:
        rollback = Rollback(settings.corpus_dir)
        for path in Path(settings.corpus_dir).iterdir():
            rollback.keep(path.name)  # hard links: cheap, and any file the entry names is covered
        try:
            path = remove_document(settings.corpus_dir, doc_id)
            update_index(settings, rollback)
        except RagError as exc:
            return f"未删除：{exc}"
        finally:
            rollback.undo()  # does nothing once update_index has made the change stand
    return f"已删除 {doc_id}（{path.name}），索引已更新。(Removed; the index is updated.)"


def status_html(status: list[FileStatus]) -> str:
    """The upload's per-file table (all text escaped)."""
    if not status:
        return ""
    rows = "".join(
        f'<tr class="st-{escape(s.state)}"><td>{escape(s.name)}</td><td>{escape(STATE_TEXT.get(s.state, s.state))}</td>'
        f"<td>{escape(s.reason)}</td></tr>"
        for s in status
    )
    done = sum(s.state == "indexed" for s in status)
    failed = sum(s.state == "failed" for s in status)
    summary = f"共 {len(status)} 个文件：已收录 {done}，未收录 {failed}。"
    return f'<div class="admin-status"><p>{escape(summary)}</p><table><tr><th>文件</th><th>状态</th><th>原因或说明</th></tr>{rows}</table></div>'


def build_tab(get_settings: Callable[[], Settings]) -> Any:
    """The tab's components and events (inside an open `gr.Blocks`); returns the tab (hidden) and what to
    fill when the administrator's page loads: (tab, [table, doc choice, remove choice])."""
    import gradio as gr

    def documents_update(request: gr.Request):
        require_admin(request, get_settings())
        rows = documents_table(get_settings())
        ids = [r[0] for r in rows]
        return gr.update(value=rows), gr.update(choices=ids), gr.update(choices=ids)

    def on_upload(files, request: gr.Request):
        try:
            for status in upload(files or [], request, get_settings()):
                yield status_html(status), gr.skip(), gr.skip(), gr.skip()
        except AccessError as exc:
            yield f'<p class="admin-refused">{escape(str(exc))}</p>', gr.skip(), gr.skip(), gr.skip()
            return
        yield (gr.skip(), *documents_update(request))

    def on_choose(doc_id, request: gr.Request):
        require_admin(request, get_settings())
        record = record_of(doc_id, get_settings()) if doc_id else {name: "" for name in EDITABLE}
        return [gr.update(value=record[name]) for name in EDITABLE]

    def on_save(doc_id, title, issuer, date, kind, doc_number, effective, repealed, superseded_by, request: gr.Request):
        values = [title, issuer, date, kind, doc_number, effective, repealed, superseded_by]  # EDITABLE's order
        try:
            message = correct(doc_id, dict(zip(EDITABLE, values)), request, get_settings()) if doc_id else "请先选择文件。(Choose a document.)"
        except AccessError as exc:
            return str(exc), gr.skip(), gr.skip(), gr.skip()
        return (message, *documents_update(request))

    def on_remove(doc_id, confirmed, request: gr.Request):
        try:
            message = remove(doc_id, bool(confirmed), request, get_settings())
        except AccessError as exc:
            return str(exc), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return (message, gr.update(value=False), *documents_update(request))

    private = {"api_visibility": "private", "concurrency_id": "admin", "concurrency_limit": 1}
    with gr.Tab("管理文件库", id="admin", visible=False, elem_id="admin-tab") as tab:
        gr.Markdown(
            f"上传政策文件（{'、'.join(sorted(SUFFIXES))}），或把一个文件夹压缩成 .zip 上传；每个文件先检查再收录，"
            f"单个文件不超过 {MAX_BYTES // 2**20} MB。更新索引时问答照常进行，完成后自动使用新索引。"
        )
        gr.HTML('<form method="post" action="/admin/logout" class="admin-logout"><button type="submit">退出管理</button></form>')
        files = gr.File(label="选择文件或 .zip", file_count="multiple", file_types=[*sorted(SUFFIXES), ".zip"],
                        type="filepath", elem_id="admin-upload")
        go = gr.Button("上传并更新索引", variant="primary", elem_id="admin-upload-button")
        status = gr.HTML(elem_id="admin-status")
        table = gr.Dataframe(headers=COLUMNS, value=[], interactive=False, wrap=True, label="文件库", elem_id="admin-documents")
        refresh = gr.Button("刷新列表", elem_id="admin-refresh")
        with gr.Accordion("更正元数据", open=False):
            chosen = gr.Dropdown(label="文件", choices=[], allow_custom_value=True, elem_id="admin-doc")  # ids checked by rag.manage
            fields = [
                gr.Dropdown(label=FIELD_LABELS[n], choices=[(v, k) for k, v in KINDS.items()], allow_custom_value=False)
                if n == "kind" else gr.Textbox(label=FIELD_LABELS[n], lines=1, max_lines=1)
                for n in EDITABLE
            ]
            save = gr.Button("保存并更新索引", elem_id="admin-save")
            saved = gr.Markdown()
        with gr.Accordion("删除文件", open=False):
            doomed = gr.Dropdown(label="文件", choices=[], allow_custom_value=True, elem_id="admin-remove-doc")
            confirm = gr.Checkbox(label="确认删除（文件和它的清单条目都会删除）", value=False)
            drop = gr.Button("删除并更新索引", variant="stop", elem_id="admin-remove")
            removed = gr.Markdown()
        lists = [table, chosen, doomed]
        go.click(on_upload, [files], [status, *lists], **private)
        refresh.click(documents_update, None, lists, **private)
        chosen.change(on_choose, [chosen], fields, **private)
        save.click(on_save, [chosen, *fields], [saved, *lists], **private)
        drop.click(on_remove, [doomed, confirm], [removed, confirm, *lists], **private)
    return tab, lists


def reveal(request: Any, settings: Settings) -> tuple[bool, list[list[Any]], list[str]]:
    """On page load: whether to show the tab, and (to the administrator only) the documents and their ids."""
    if not admin_auth.is_admin(getattr(request, "headers", None), settings):
        return False, [], []
    rows = documents_table(settings)
    return True, rows, [r[0] for r in rows]
