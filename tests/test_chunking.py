"""Section-aware chunking: paths, sizes, and boundaries only at sentence ends."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document, split_sentences
from rag.ingest import load_corpus

from .conftest import CORPUS


@pytest.fixture(scope="module")
def chunks_by_doc():
    corpus = load_corpus(CORPUS)
    return corpus, {d.doc_id: chunk_document(d) for d in corpus.documents}


def _find(chunks, needle):
    return next(c for c in chunks if needle in c.text)


def test_chunk_text_is_the_source_text(chunks_by_doc):
    corpus, by_doc = chunks_by_doc
    for doc_id, chunks in by_doc.items():
        text = corpus.get(doc_id).text
        for c in chunks:
            assert c.text == text[c.start : c.end]


def test_boundaries_never_split_a_sentence_or_number(chunks_by_doc):
    corpus, by_doc = chunks_by_doc
    for doc_id, chunks in by_doc.items():
        text = corpus.get(doc_id).text
        for c in chunks:
            # a chunk ends at a sentence end or at the end of a paragraph
            assert c.text.rstrip()[-1] in "。！？!?”’)" or text[c.end : c.end + 2] in ("\n\n", ""), (c.chunk_id, c.text[-20:])
            assert c.start == 0 or text[c.start - 1] in "。！？!?”’\n", (c.chunk_id, text[c.start - 10 : c.start + 10])


def test_sentence_splitter_keeps_decimals_and_quotes():
    assert split_sentences("比重达到2.5%以上。他说:“好。”然后呢?") == ["比重达到2.5%以上。", "他说:“好。”", "然后呢?"]


def test_chunk_sizes_suit_retrieval(chunks_by_doc):
    _, by_doc = chunks_by_doc
    lengths = [len(c.text) for cs in by_doc.values() for c in cs]
    assert max(lengths) <= 420 and sum(lengths) / len(lengths) < 300


@pytest.mark.parametrize(
    "doc_id, needle, path",
    [
        ("guideline-2022", "新一代信息技术、高端装备、现代消费与健康", ("二、培育先进制造业集群", "(一)打造4个世界级先进产业群")),
        ("guideline-2022", "2.5%以上", ("一、总体要求", "(二)主要目标")),
        ("guideline-2022", "2170亿元", ("八、促进制造业区域协调发展", "(四)加快山区26县生态工业发展")),
        ("opinions-2020", "不低于30%", ("七、优化制造业发展环境", "27.加强工业用地保障")),
        ("opinions-2020", "劳动生产率达到35万元/人以上", ("一、坚定不移建设全球先进制造业基地", "2.发展目标")),
        ("speech-2024", "2.94万亿元", ("一、肯定成绩、找准差距,进一步增强制造业高质量发展的信心决心", "实体制造挑起大梁")),
        ("speech-2024", "两图六清单", ("二、深学细悟、锚定目标,进一步推动全球先进制造业基地建设迈上新台阶", "集群培育要再上新台阶", "要优化“链长+链主”机制")),
        ("commentary-2020", "114家“无人车间”", ("在制造业变革中寻求新路径、构建新优势", "(四)抓住“新应用”的市场机会")),
        ("commentary-2020", "首批68家", ("建设先进制造业基地须彰显市场主体力量", "(二)推动企业做强做精,努力打造“百年企业”")),
        ("news-2023", "4+1”专项基金群", ("系统工程的推进",)),
    ],
)
def test_section_paths_of_known_passages(chunks_by_doc, doc_id, needle, path):
    _, by_doc = chunks_by_doc
    assert _find(by_doc[doc_id], needle).section == path
