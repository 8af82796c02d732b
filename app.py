"""政策问答助手 — the web chat and the HTTP API. A thin shell over `rag.answer.ask`.

    python app.py [--host 127.0.0.1] [--port 7860] [--api-workers N]
    uvicorn app:create_app --factory --host 0.0.0.0 --port 7860     # the same server (one process)

The chat is mounted on the API's FastAPI app (`create_app`) and served by uvicorn.

Host and port also come from APP_HOST / APP_PORT (or GRADIO_SERVER_NAME /
GRADIO_SERVER_PORT). If the index is missing or stale it is built first, with
progress in the terminal; nothing is downloaded.

``demo`` is importable without launching anything. Launch it with
``demo.launch(**launch_options())`` to get the page's theme, styles and the
busy-message text.
"""

from __future__ import annotations

import os

# Before gradio builds anything: no version check, no telemetry, nothing leaves the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import contextlib
import sys
import threading
import time
import traceback
from typing import Any, Iterator

import gradio as gr
from fastapi import FastAPI

from rag import admin as admin_ui
from rag import admin_auth
from rag import chat as fmt
from rag import library, naming
from rag.answer import Answer, Status, ask
from rag.errors import IndexStateError, RagError
from rag.guard import CHAT_BUSY_TEXT
from rag.index import DocumentInfo
from rag.manage import MAX_BYTES
from rag.retrieval import get_retriever, reset_cache
from rag.settings import Settings
from rag.workers import follow_live_build

TITLE = "政策问答助手"
# Questions over several documents: the 2022 guideline, the 2020 opinions, the 2024 speech, the 2023 news report.
EXAMPLES = [
    "到2025年规上工业企业研发经费占营业收入比重要达到多少？",
    "浙江要打造哪4个世界级先进产业群？",
    "2023年全省工业增加值是多少？",
    "山区26县工业发展有什么目标？",
    "制造业贷款方面有什么支持政策？",
    "浙江日报报道的“4+1”专项基金群规模多大？",
]
K = 5
# The queue, from measurement (bench/load_check.py, README "Performance under load"): one answer
# costs the app ~50 ms of CPU, most of it Python under the GIL; the embedding (~15 ms of it) runs
# on one thread (RAG_QUERY_THREADS) outside the GIL. Two at once keep both cores busy; more only
# queue for the GIL inside the process, and starve the event loop that admits or refuses visitors.
# At ~20 answers a second, 2 running + 48 waiting are all answered within ~2.5 s; the 51st is told "busy".
CONCURRENCY = 2
MAX_QUEUE = 48
KEEP_TURNS = 4  # earlier answers whose sources stay in the panel
STEP_DELAY = 0.03  # seconds between statements of a progressively displayed answer
SHOW_QUESTION_CHARS = 300  # a longer question is shown shortened in the chat
BUSY_TEXT = CHAT_BUSY_TEXT  # the same words whether the guard or Gradio's queue refuses
ERROR_TEXT = "出错了：这个问题暂时无法回答，请稍后再试或换个问法。(Something went wrong; please try again.)"
NO_DOCUMENTS_TEXT = "按当前筛选条件没有可查找的文件（例如所选文件都不是政策文件）。请在“筛选文件”中调整选择。"

_settings: Settings | None = None


def get_settings() -> Settings:
    """The settings the chat answers with (RAG_* environment variables apply)."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def configure(settings: Settings | None) -> None:
    """Answer from another index (tests); None goes back to the environment's settings."""
    global _settings
    _settings = settings


def document_choices(documents: list[DocumentInfo] | None = None) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the document filter, from the index manifest."""
    docs = library.documents(get_settings()) if documents is None else documents
    return [(fmt.document_label(d), d.doc_id) for d in docs]


def _new_session() -> dict:
    return {"questions": [], "turn": 0, "panels": []}


def _message_text(content: Any) -> str:
    """Text of a chat message's content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return "".join(_message_text(c) for c in content)
    return ""


def _normalise_history(history: Any) -> list[dict]:
    out = []
    for item in history or []:
        if isinstance(item, dict) and item.get("role") in ("user", "assistant"):
            out.append({"role": item["role"], "content": _message_text(item.get("content"))})
    return out


def _shown_question(question: str) -> str:
    q = question.strip()
    if len(q) > SHOW_QUESTION_CHARS:
        q = f"{q[:SHOW_QUESTION_CHARS]}…（共 {len(question):,} 字）"
    return q


def _panel(session: dict) -> str:
    """The sources panel: the latest answer's sources, earlier ones folded beneath."""
    panels = session["panels"]
    if not panels:
        return PANEL_TITLE + fmt.EMPTY_SOURCES
    latest, older = panels[-1], panels[-1 - KEEP_TURNS : -1]
    folded = "".join(
        f'<details class="older"><summary>{fmt.escape(title)}</summary>{body}</details>' for title, body in reversed(older)
    )
    return PANEL_TITLE + latest[1] + (f'<div class="older-head">此前回答的来源</div>{folded}' if folded else "")


def _filters(doc_ids: Any, policy_only: bool) -> tuple[list[str] | None, list[str] | None]:
    """doc_ids and kinds for ask()."""
    chosen = [d for d in (doc_ids or []) if isinstance(d, str)]
    return (chosen or None), (["policy"] if policy_only else None)


def answer_question(question: str, history: list, doc_ids=None, kinds=None) -> tuple[Answer, list[str]]:
    """ask() with the session's earlier answers; also the words to highlight (of the question as understood)."""
    settings = get_settings()
    follow_live_build(settings)  # a build made live by another process (`rag add`) answers from now on
    ans = ask(question, k=K, settings=settings, doc_ids=doc_ids, kinds=kinds, history=history)
    if ans.status is not Status.ANSWERED or ans.query is None:
        return ans, []
    return ans, library.telling_terms(ans.query, settings)


def respond(message: Any, history: Any, doc_ids: Any = None, policy_only: bool = False, session: Any = None) -> Iterator[tuple]:
    """The chat: yields (textbox, chat history, sources panel, session) as the answer appears.

    Never raises: bad questions, filters that leave nothing and unexpected
    errors all end as a message in the chat.
    """
    question = message if isinstance(message, str) else _message_text(message)
    chat = _normalise_history(history)
    session = dict(session) if isinstance(session, dict) else _new_session()
    session = {**_new_session(), **session}
    session["questions"], session["panels"] = list(session["questions"]), list(session["panels"])
    turn = session["turn"] + 1
    session["turn"] = turn

    if question.strip():
        chat.append({"role": "user", "content": fmt.user_html(_shown_question(question))})
    chat.append({"role": "assistant", "content": fmt.notice_html("正在查找相关文件……", "working")})
    yield gr.update(value="", interactive=False), list(chat), gr.skip(), dict(session)

    doc_filter, kinds = _filters(doc_ids, bool(policy_only))
    try:
        if question.strip() and not library.searchable(get_settings(), doc_filter, kinds):
            ans, terms = Answer(question=question, text=NO_DOCUMENTS_TEXT, status=Status.INVALID), []
        else:
            ans, terms = answer_question(question, session["questions"], doc_filter, kinds)
    except Exception:  # noqa: BLE001 - the chat shows a message, the terminal the traceback
        traceback.print_exc()
        chat[-1] = {"role": "assistant", "content": fmt.notice_html(ERROR_TEXT, "error")}
        yield gr.update(interactive=True), list(chat), gr.skip(), dict(session)
        return

    if ans.status is not Status.INVALID:
        session["questions"].append(ans)  # a refused answer is kept too: a follow-up never inherits from it
    if not ans.found:
        kind = "invalid" if ans.status is Status.INVALID else "not-found"
        chat[-1] = {"role": "assistant", "content": fmt.notice_html(ans.text, kind)}
        if ans.status is Status.NOT_FOUND:
            session["panels"].append(
                (f"第{turn}问：{_shown_question(question)[:40]}", fmt.no_sources_html(question, "这个问题没有可引用的来源。"))
            )
        yield gr.update(interactive=True), list(chat), _panel(session), dict(session)
        return

    steps = fmt.answer_steps(ans)
    for i, upto in enumerate(steps):
        chat[-1] = {"role": "assistant", "content": fmt.answer_html(ans, turn, upto)}
        if i < len(steps) - 1:
            yield gr.skip(), list(chat), gr.skip(), dict(session)
            time.sleep(STEP_DELAY)
    panel = fmt.sources_html(ans.citations, turn, question, terms, fmt.quoted_fragments(ans), library.document_texts(get_settings()))
    session["panels"].append((f"第{turn}问：{_shown_question(question)[:40]}", panel))
    session["panels"] = session["panels"][-(KEEP_TURNS + 1) :]
    session["questions"] = session["questions"][-KEEP_TURNS:]
    yield gr.update(interactive=True), list(chat), _panel(session), dict(session)


def respond_example(evt: gr.SelectData, history: Any, doc_ids: Any, policy_only: bool, session: Any) -> Iterator[tuple]:
    """An example question clicked in the empty chat is asked at once."""
    value = evt.value
    text = value.get("text", "") if isinstance(value, dict) else str(value or "")
    yield from respond(text, history, doc_ids, policy_only, session)


def new_conversation() -> tuple:
    """A fresh start: empty chat and sources, and the document filters back to "all documents"."""
    return "", [], PANEL_TITLE + fmt.EMPTY_SOURCES, _new_session(), gr.update(value=[]), gr.update(value=False)


def refresh_documents(current: Any) -> Any:
    """The filter's choices from the live index (new documents appear without code changes)."""
    choices = document_choices(library.documents(get_settings(), loaded=True))
    ids = {c[1] for c in choices}
    return gr.update(choices=choices, value=[d for d in (current or []) if d in ids])


PANEL_TITLE = '<div class="panel-title">来源与原文</div>'

HEADER = f"""
<div class="app-header">
  <div class="app-title">{TITLE}</div>
  <div class="app-sub">浙江省建设全球先进制造业基地政策文件问答：答案逐句引自原文，每句注明出处。
  可以追问，例如先问“研发经费占比目标是多少？”，再问“<b>2020年的文件怎么说？</b>”。</div>
</div>
"""

CSS = """
.gradio-container { max-width: 1360px !important; margin: 0 auto !important; }
.app-header { padding: 14px 4px 6px; border-bottom: 3px solid #b71c1c; margin-bottom: 4px; }
.app-title { font-size: 26px; font-weight: 700; color: #8e1515; letter-spacing: 2px; }
.app-sub { font-size: 14px; color: #4a4a4a; margin-top: 4px; line-height: 1.6; }
#chat .answer p { margin: 0 0 8px; line-height: 1.75; }
#chat .answer p:last-child { margin-bottom: 0; }
#chat .doc-label { font-weight: 600; color: #1f3a60; }
#chat a.cite { color: #b71c1c; font-weight: 600; text-decoration: none; padding: 0 1px; border-radius: 3px; }
#chat a.cite:hover { background: #fde8e8; text-decoration: underline; }
#chat .notice p { margin: 0 0 4px; line-height: 1.7; }
#chat .notice-working { color: #666; font-style: italic; }
#chat .notice-not-found, #chat .notice-invalid { color: #7a4b00; }
#chat .notice-error { color: #b71c1c; }
#chat .question { white-space: pre-wrap; word-break: break-word; }
#sources { max-height: 760px; overflow-y: auto; padding-right: 4px; }
#sources .turn-q { font-size: 15px; font-weight: 600; color: #333; margin: 2px 0 10px; padding-bottom: 6px; border-bottom: 1px solid #e3e3e3; }
#sources .src-card { border: 1px solid #e1e4e8; border-left: 4px solid #1f3a60; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; background: #fff; scroll-margin-top: 12px; }
#sources .src-card:target, #sources .flash { box-shadow: 0 0 0 3px #f4b400; transition: box-shadow .3s; }
#sources .src-card header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px; }
#sources .src-n { color: #b71c1c; font-weight: 700; }
#sources .kind { font-size: 12px; padding: 1px 6px; border-radius: 10px; background: #e8eef7; color: #1f3a60; white-space: nowrap; }
#sources .kind-policy { background: #fdecea; color: #8e1515; }
#sources .src-title { font-weight: 600; color: #1a1a1a; }
#sources .src-meta { font-size: 13px; color: #666; margin-top: 3px; }
#sources .src-path { font-size: 13px; color: #1f3a60; margin-top: 2px; }
#sources blockquote.passage { margin: 8px 0 6px; padding: 8px 10px; background: #fafafa; border-left: 3px solid #d0d7de; line-height: 1.75; font-size: 14px; color: #222; white-space: pre-line; }
#sources ol.outline { margin: 6px 0 0; padding-left: 22px; }
#sources ol.outline li { margin: 2px 0; }
#sources mark { background: #fff1a8; color: inherit; padding: 0 1px; border-radius: 2px; }
#sources .quoted { text-decoration: underline; text-decoration-color: #b71c1c; text-underline-offset: 3px; }
#sources details.doc-view > summary { cursor: pointer; color: #1f3a60; font-size: 13px; margin-top: 4px; }
#sources .doc-head { font-size: 13px; color: #555; margin: 6px 0 4px; }
#sources .doc-head a.jump { margin-left: 8px; color: #b71c1c; }
#sources .doc-text { position: relative; max-height: 360px; overflow-y: auto; border: 1px solid #e1e4e8; border-radius: 4px; padding: 8px 12px; font-size: 14px; line-height: 1.8; background: #fcfcfc; }
#sources .doc-text p { margin: 0 0 8px; }
#sources mark.cited { background: #ffe7a3; border-bottom: 2px solid #e0a800; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
#sources mark.cited mark { background: #ffd257; }
#sources .older-head { font-size: 13px; color: #777; margin: 16px 0 6px; }
#sources details.older > summary { cursor: pointer; font-size: 13px; color: #333; padding: 4px 0; }
#sources .sources-empty { color: #666; font-size: 14px; line-height: 1.8; padding: 8px 2px; }
#sources .panel-title { font-weight: 700; font-size: 17px; color: #1f3a60; padding: 0 0 8px; }
#new-chat { height: 44px !important; min-height: 44px; max-height: 44px; flex: none !important; align-self: flex-start; }
#chat { height: min(560px, 62vh) !important; }
@media (max-width: 640px) { #chat { height: auto !important; min-height: 240px; max-height: 70vh; } }
footer { display: none !important; }
.admin-status table { border-collapse: collapse; width: 100%; font-size: 14px; }
.admin-status td, .admin-status th { border: 1px solid #e1e4e8; padding: 4px 8px; text-align: left; vertical-align: top; }
.admin-status td:nth-child(2) { white-space: nowrap; }
.admin-logout { text-align: right; }
.admin-logout button { color: #1f3a60; background: none; border: 1px solid #c8d0da; border-radius: 4px; padding: 2px 10px; cursor: pointer; }
.admin-status .st-failed td { color: #b71c1c; }
.admin-status .st-indexed td { color: #1b5e20; }
"""

# Runs once in the page (no outside script): marker links scroll to their card, an opened
# document scrolls to the cited span, and the queue's busy message is shown in Chinese.
SOURCES_JS = """
if (!window.__policyChat) {
  window.__policyChat = true;
  const reveal = (el) => { for (let d = el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true; };
  const scrollDoc = (details) => {
    const mark = details.querySelector('mark.cited[id]');
    const box = details.querySelector('.doc-text');
    if (mark && box) box.scrollTop = Math.max(0, mark.offsetTop - 24);
  };
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest ? ev.target.closest('a.cite, a.jump') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    const el = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
    ev.preventDefault();
    ev.stopPropagation();
    if (!el) return;
    reveal(el);
    if (a.classList.contains('jump')) { scrollDoc(el.closest('details.doc-view')); return; }
    el.scrollIntoView({behavior: 'smooth', block: 'start'});
    el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 2000);
  }, true);
  document.addEventListener('toggle', (ev) => {
    const d = ev.target;
    if (d && d.classList && d.classList.contains('doc-view') && d.open) scrollDoc(d);
  }, true);
  const BUSY = 'This application is currently busy';
  // Gradio's own buttons say what they do in English; this page is in Chinese.
  const LABELS = {'Copy': '复制', 'Copied': '已复制', 'Copy message': '复制此条', 'Copy conversation': '复制对话',
    'Clear': '清空对话', 'Delete': '删除', 'Retry': '重试', 'Undo': '撤销', 'Edit': '编辑', 'Like': '有用', 'Dislike': '没用',
    'Submit': '提问', 'Stop': '停止', 'Share': '分享', 'Fullscreen': '全屏', 'Exit fullscreen mode': '退出全屏'};
  const translate = () => {
    for (const el of document.querySelectorAll('button[title], button[aria-label], [role=button][aria-label]')) {
      for (const attr of ['title', 'aria-label']) {
        const v = el.getAttribute(attr);
        if (v && LABELS[v]) el.setAttribute(attr, LABELS[v]);
      }
    }
  };
  new MutationObserver(() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeValue && n.nodeValue.includes(BUSY)) n.nodeValue = %s;
    }
    translate();
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['title', 'aria-label']});
}
""" % repr(BUSY_TEXT)

THEME = gr.themes.Default(
    primary_hue="red",
    neutral_hue="slate",
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
)


def launch_options() -> dict:
    """Keyword arguments for demo.launch(): theme and styles (Gradio 6 takes them at launch)."""
    return {"theme": THEME, "css": CSS, "footer_links": []}


def build_demo(admin: bool | None = None) -> gr.Blocks:
    """The chat; with ``admin`` (default: RAG_ADMIN_TOKEN is set) also the administrator's tab, hidden
    unless the page's request carries the administrator's session (`rag.admin`)."""
    admin = admin_auth.enabled(get_settings()) if admin is None else admin
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(HEADER)
        session = gr.State(_new_session())
        # Without an administrator the page is the chat alone; with one, the chat is the first of two tabs.
        with gr.Tabs(elem_id="tabs") if admin else contextlib.nullcontext():
            with gr.Tab("问答", id="chat-tab") if admin else contextlib.nullcontext():
                with gr.Row(equal_height=False):
                    with gr.Column(scale=11, min_width=380):
                        chatbot = gr.Chatbot(
                            label="对话",
                            show_label=False,
                            elem_id="chat",
                            height="min(560px, 62vh)",  # no empty block at phone width
                            latex_delimiters=[],  # "$" in a question is money, not maths
                            sanitize_html=True,
                            feedback_options=None,
                            buttons=["copy"],
                            placeholder="<b>请输入问题，或点击下面的示例问题。</b>",
                            examples=[{"text": q} for q in EXAMPLES],
                        )
                        textbox = gr.Textbox(
                            show_label=False,
                            placeholder="请输入问题，例如：到2025年研发经费占比目标是多少？（回车提问）",
                            lines=1,
                            max_lines=6,
                            submit_btn="提问",
                            autofocus=True,
                            elem_id="question",
                        )
                        with gr.Row(equal_height=True):
                            with gr.Column(scale=5, min_width=240):
                                with gr.Accordion("筛选文件（默认查找全部文件）", open=False, elem_id="filters"):
                                    policy_only = gr.Checkbox(label="只看政策文件", value=False, elem_id="policy-only")
                                    doc_ids = gr.CheckboxGroup(
                                        choices=document_choices(),
                                        label="只在所选文件中查找（不选则查找全部文件）",
                                        elem_id="documents",
                                    )
                            with gr.Column(scale=1, min_width=110):
                                clear = gr.Button("新对话", variant="secondary", elem_id="new-chat")
                    with gr.Column(scale=9, min_width=340):
                        sources = gr.HTML(PANEL_TITLE + fmt.EMPTY_SOURCES, elem_id="sources", js_on_load=SOURCES_JS, apply_default_css=False)
            if admin:
                admin_tab, admin_lists = admin_ui.build_tab(get_settings)

        inputs = [textbox, chatbot, doc_ids, policy_only, session]
        outputs = [textbox, chatbot, sources, session]
        textbox.submit(respond, inputs, outputs, api_name="chat", show_progress="minimal", concurrency_id="answer")
        chatbot.example_select(
            respond_example, [chatbot, doc_ids, policy_only, session], outputs, api_visibility="private", show_progress="minimal",
            concurrency_id="answer",
        )
        clear.click(new_conversation, None, [*outputs, doc_ids, policy_only], queue=False, api_visibility="private")
        demo.load(refresh_documents, doc_ids, doc_ids, queue=False, api_visibility="private")
        if admin:
            demo.load(reveal_admin, None, [admin_tab, *admin_lists], queue=False, api_visibility="private")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=MAX_QUEUE)
    return demo


def reveal_admin(request: gr.Request) -> tuple:
    """Page load: the administrator's tab shown (with the library listed) only to the administrator's session."""
    visible, rows, ids = admin_ui.reveal(request, get_settings())
    return gr.update(visible=visible), gr.update(value=rows), gr.update(choices=ids), gr.update(choices=ids)


demo = build_demo()
demo.rag_admin = admin_auth.enabled(get_settings())  # whether this page has the administrator's tab


def ensure_index(settings: Settings) -> None:
    """Build the index if it is missing or stale (progress in the terminal), then load it."""
    from rag.build import build_index
    from rag.index import check_index

    try:
        check_index(settings)
    except IndexStateError as exc:
        # The app builds it itself: say what is happening and how long it takes, not "Fix: run …".
        why = "首次启动，还没有索引" if "No index" in str(exc) else "文件或设置有变化"
        print(
            f"正在建立索引（{why}）：读取、切分并向量化文件，通常需要 1–5 分钟，进度见下方；只用本机文件，不下载任何内容。\n"
            "(Building the index — first start, or the documents changed; usually 1–5 minutes. Nothing is downloaded.)",
            flush=True,
        )
        build_index(settings, progress=True)
        reset_cache()
    print("正在加载索引和模型…… (loading the index and the model)", flush=True)
    get_retriever(settings)
    ask("研发经费", settings=settings)  # warm up: the first user does not wait for the model
    naming.warm()  # ... nor for the dictionary that tells places from everyday words


def chat_room(blocks: gr.Blocks) -> int:
    """How many more questions the chat's queue takes: beyond them the guard refuses at once, before
    Gradio reads the request. (Gradio's queue object is internal; its length is what Gradio itself
    compares with max_size.)"""
    queue = getattr(blocks, "_queue", None)
    if queue is None or queue.max_size is None:
        return 1 << 30
    # The running answers are out of the queue: a burst fills them too (at worst Gradio refuses a
    # couple itself, the slow way).
    return max(0, queue.max_size + CONCURRENCY - len(queue))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole server: the HTTP API (`rag.api`) with the chat mounted at "/", all behind `rag.guard`.

    Also a uvicorn factory: ``uvicorn app:create_app --factory`` (ONE process: the chat's queue
    lives in it; set RAG_API_WORKERS for processes that answer the API's questions).
    """
    from rag.api import create_api

    settings = settings or get_settings()
    configure(settings)
    ensure_index(settings)  # the chat answers in this process
    # Gradio imports matplotlib in the event loop at the first chat event (utils.MatplotlibBackendMananger):
    # measured 3.5 s during which nothing else was served. Import it now, before anyone is waiting.
    with gr.utils.MatplotlibBackendMananger():
        pass
    admin = admin_auth.enabled(settings)
    blocks = demo if getattr(demo, "rag_admin", None) == admin else build_demo(admin=admin)  # settings given here
    api = create_api(settings, warm=True, chat_room=lambda: chat_room(blocks))
    # An upload larger than a library file is refused in the browser already (and by the guard, 413).
    limit = {"max_file_size": MAX_BYTES} if admin else {}
    return gr.mount_gradio_app(api, blocks, path="/", show_error=False, **limit, **launch_options())


def served_hosts(bind: str) -> tuple[str, ...]:
    """Host names a server bound to ``bind`` is reached by: the address itself, or for a
    wildcard the machine's names and addresses (so the intranet can reach it, and no other name)."""
    import socket

    if bind not in ("0.0.0.0", "::", ""):
        return (bind,)
    names = {socket.gethostname(), socket.getfqdn()}
    try:
        names.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return tuple(sorted(n for n in names if n))


def _env_port() -> int | None:
    raw = os.environ.get("APP_PORT") or os.environ.get("GRADIO_SERVER_PORT")
    return int(raw) if raw else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"{TITLE}：网页聊天界面和 HTTP API")
    parser.add_argument("--host", default=os.environ.get("APP_HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="port (default: APP_PORT, GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--api-workers", type=int, default=None, help="processes answering the HTTP API (env RAG_API_WORKERS; 0: threads)")
    args = parser.parse_args(argv)
    try:
        port = args.port or _env_port() or 7860
    except ValueError:
        print("APP_PORT / GRADIO_SERVER_PORT must be a number.", file=sys.stderr)
        return 2
    try:
        settings = get_settings()
        hosts = tuple(dict.fromkeys([*settings.allowed_hosts, *served_hosts(args.host)]))
        settings = settings.replace(allowed_hosts=hosts, **({} if args.api_workers is None else {"api_workers": args.api_workers}))
        app = create_app(settings)
    except RagError as exc:
        print(f"无法启动：{exc}", file=sys.stderr)
        return 1
    import uvicorn

    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=port, log_level="warning", timeout_graceful_shutdown=5))

    def announce() -> None:  # once it is really serving
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"{TITLE}已启动：http://{host}:{port}/  （HTTP API：http://{host}:{port}/api/docs；Ctrl+C 退出）", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
