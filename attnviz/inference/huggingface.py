"""A Hugging Face encoder–decoder as a ``Translator``: its own tokenizer, and subword pieces merged to words.

The views, alignment and evaluation work on words. A model that reads subword pieces (SentencePiece's
``▁bien venue``, byte-level BPE's ``Ġ``) is decoded over pieces, then each attention map is merged to
words the way Clark et al. (2019, *What Does BERT Look At?*, §2) merge BERT's: attention *to* a word is
the sum over its pieces, attention *from* a word the mean over its pieces, so every row still sums to 1.
A word is a piece that starts with the word-boundary mark and the pieces after it, up to the next mark —
the space-separated units of the text; a special token is a word of its own. A tokenizer that marks the
other pieces instead (WordPiece's ``##venue``) or none (a word-level vocabulary) is recognised by how it joins
pieces back into text (``continuation_mark``). ``Translation.pieces`` keeps
the unmerged translation for the toggle that shows them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data.tokenization import EOS, UNK
from ..families.huggingface import ID_OFFSET, HuggingFaceError, HuggingFaceSeq2Seq, card_of, is_huggingface, model_info
from . import decoding
from .attribution import Attributions, attribute
from .checkpoint import CheckpointError, read_config
from .translator import EOS_TOKEN, MAX_INPUT_CHARS, InputError, Tokens, Translation, Translator, alignment_head

WORD_MARKS = ("▁", "Ġ")  # SentencePiece's and byte-level BPE's "a space before this piece"
MAX_PIECES = 200  # longest input in pieces (50 words of a rare script can be four times as many pieces)


class PieceVocab:
    """The model's pieces as attnviz ids: 0–3 its specials, piece p at p + ``ID_OFFSET``.

    Attributes:
        tokens: V + 4 strings; tokens[i] is the piece with attnviz id i.
    """

    def __init__(self, pieces: list[str]):
        self.tokens = ["<pad>", "<unk>", "<s>", "</s>", *pieces]
        self.index = {piece: i + ID_OFFSET for i, piece in enumerate(pieces)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, pieces) -> list[int]:
        """attnviz ids of pieces (unknown ones: UNK)."""
        return [self.index.get(p, UNK) for p in pieces]

    def decode(self, ids) -> list[str]:
        """Pieces of attnviz ids, stopping before EOS, skipping the other specials."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i >= ID_OFFSET:
                out.append(self.tokens[i])
        return out


def continuation_mark(tokenizer) -> str | None:
    """How a tokenizer's pieces show where words begin, read from how it joins pieces back into text.

    Returns:
        None when unmarked pieces join the word before them and a word's first piece carries a mark
        (SentencePiece's ``▁``, byte-level BPE's ``Ġ``: ``WORD_MARKS``); otherwise the mark of a piece that
        continues a word — ``"##"`` for WordPiece — or ``""`` when every piece is a word (a word-level vocabulary).
    """
    if tokenizer.convert_tokens_to_string(["a", "b"]).strip() != "a b":
        return None
    return "##" if tokenizer.convert_tokens_to_string(["a", "##b"]).strip() == "ab" else ""


def word_starts(pieces: list[str], specials: set[str], continuation: str | None = None) -> list[bool]:
    """For each piece, whether it begins a word: the first piece, a special token or the piece after one, and
    otherwise — by the tokenizer's ``continuation_mark`` — a piece with a word mark (``WORD_MARKS``, mark None)
    or a piece without the continuation mark ("##"; with "" every piece)."""
    starts = []
    for k, piece in enumerate(pieces):
        if continuation is None:
            marked = piece.startswith(WORD_MARKS)
        else:
            marked = not (continuation and piece.startswith(continuation))
        starts.append(k == 0 or marked or piece in specials or pieces[k - 1] in specials)
    return starts


def piece_words(pieces: list[str], tokenizer, specials: set[str], continuation: str | None):
    """(words as text, (W, P) grouping) of a piece sequence: the pieces grouped by ``word_starts``, each group
    joined back into text by the tokenizer; its end token becomes ``</s>``.

    Args:
        pieces: P pieces as the tokenizer writes them; specials: tokens that stand alone as words;
        continuation: ``continuation_mark(tokenizer)``.
    """
    groups = grouping(word_starts(pieces, specials, continuation))
    words = []
    for row in groups:
        members = [pieces[p] for p in np.flatnonzero(row)]
        text = EOS_TOKEN if members == [tokenizer.eos_token] else tokenizer.convert_tokens_to_string(members).strip()
        words.append(text or members[0])
    return words, groups


def grouping(starts: list[bool]) -> np.ndarray:
    """(W, P) 0/1 matrix: word w holds piece p (``starts`` marks where each of the W words begins)."""
    words = np.cumsum(starts) - 1
    matrix = np.zeros((int(words[-1]) + 1 if len(words) else 0, len(starts)))
    matrix[words, np.arange(len(starts))] = 1.0
    return matrix


def merge_attention(weights: np.ndarray, queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Piece attention (..., Tp, Sp) → word attention (..., Tw, Sw): the mean over a query word's pieces of the sum
    over a key word's pieces (Clark et al. 2019), so rows that sum to 1 still do. NaN cells (a causal mask's)
    stay NaN where every piece they merge is NaN.

    Args:
        weights: (..., Tp, Sp) float; queries: (Tw, Tp) and keys: (Sw, Sp) 0/1 groupings (``grouping``).
    """
    mean_rows = queries / queries.sum(1, keepdims=True)
    finite = np.nan_to_num(weights, nan=0.0)
    merged = mean_rows @ finite @ keys.T
    seen = (mean_rows @ np.isfinite(weights).astype(float) @ keys.T) > 0
    return np.where(seen, merged, np.nan)


class HuggingFaceTranslator(Translator):
    """A Hugging Face folder as a ``Translator`` (see the module docstring): tokenizes with the model's own
    tokenizer, decodes over pieces with attnviz's decoding, and returns word-level translations.

    Attributes (beyond ``Translator``'s):
        tokenizer: the folder's tokenizer (``AutoTokenizer``, local files only).
    """

    def __init__(self, model: HuggingFaceSeq2Seq, tokenizer, card: dict, name: str, info):
        pieces = tokenizer.convert_ids_to_tokens(list(range(model.config.src_vocab_size - ID_OFFSET)))
        vocab = PieceVocab([p if p is not None else "" for p in pieces])
        super().__init__(model, vocab, vocab, card, name, info)
        self.tokenizer = tokenizer
        # tokens that stand alone as words; the unknown piece stays inside the word it replaces a part of
        self.specials = set(tokenizer.all_special_tokens) - {tokenizer.unk_token}
        self.continuation = continuation_mark(tokenizer)

    @classmethod
    def load(cls, directory: Path) -> HuggingFaceTranslator:
        """Load a Hugging Face folder (``families.huggingface``) with its tokenizer.

        Raises:
            CheckpointError: a folder attnviz refuses, or that transformers cannot read (one line).
        """
        import transformers  # deferred, as in ``HuggingFaceSeq2Seq.load``

        directory = Path(directory)
        config = read_config(directory)
        try:
            info = model_info(directory, config)
            model = HuggingFaceSeq2Seq.load(directory)
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                directory, local_files_only=True, trust_remote_code=False
            )
        except HuggingFaceError as err:
            raise CheckpointError(str(err)) from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CheckpointError(f"transformers cannot read the tokenizer of {directory}: {first[:200]}") from None
        return cls(model, tokenizer, card_of(info), directory.name, info)

    # words from pieces
    def words(self, pieces: list[str]) -> tuple[list[str], np.ndarray]:
        """(words as text, (W, P) grouping) of a piece sequence; the end token stays ``</s>`` (``piece_words``)."""
        return piece_words(pieces, self.tokenizer, self.specials, self.continuation)

    def _pieces(self, text: str, what: str, target: bool, pretokenized: bool) -> Tokens:
        """Piece-level Tokens of a text (display = pieces, the end token shown as ``</s>``)."""
        if len(text or "") > MAX_INPUT_CHARS:
            raise InputError("too_many_characters", what, count=len(text), limit=MAX_INPUT_CHARS)
        text = " ".join((text or "").split())  # pretokenized text is space-separated too: each token one word
        if not text:
            raise InputError("empty", what)
        encoded = self.tokenizer(text_target=text) if target else self.tokenizer(text)
        model_ids = list(encoded["input_ids"])
        if not model_ids or model_ids[-1] != self.model.specials[EOS]:
            model_ids.append(self.model.specials[EOS])
        limit = min(MAX_PIECES, self.model.longest_target)
        if len(model_ids) > limit:
            raise InputError("too_many_tokens", what, count=len(model_ids), limit=limit)
        ids = self.model.from_model_ids(model_ids)
        pieces = self.tokenizer.convert_ids_to_tokens(model_ids)
        return Tokens(pieces, ids, [i == UNK for i in ids])

    def source(self, text: str, pretokenized: bool = False) -> Tokens:
        """Pieces of a source sentence (``Translator.source``; the limit is ``MAX_PIECES`` pieces).

        Raises:
            InputError: empty, too many characters or pieces.
        """
        return self._pieces(text, "sentence", False, pretokenized)

    def source_model_tokens(self, text: str) -> list[str]:
        """The pieces the model reads for ``text``, without its end token (``evaluation.translate_batch``)."""
        return self.tokenizer.convert_ids_to_tokens(
            [i for i in self.tokenizer(text)["input_ids"] if i != self.model.specials[EOS]]
        )

    def target(self, text: str, pretokenized: bool = False) -> Tokens:
        """Pieces of a translation given for forced decoding."""
        return self._pieces(text, "translation", True, pretokenized)

    def force_tokens(self, text: str, target_tokens: list[str], normalizer=None) -> Translation:
        """Forced decoding of another model's words (``Translator.force_tokens``): they are joined by spaces, so
        each stays one word and the rows match that translation's one to one."""
        words = [t for t in target_tokens if t != EOS_TOKEN]
        if not words:
            raise InputError("empty", "translation")
        return self.force(text, " ".join(words), normalizer)

    def _package(self, src: Tokens, hyp: decoding.Hypothesis, ms: float, target: Tokens | None = None) -> Translation:
        """A word-level Translation of a piece-level hypothesis, with the piece-level one in ``pieces``."""
        ids = hyp.ids.tolist()
        target_pieces = [EOS_TOKEN if i == EOS else self.tgt_vocab.tokens[i] for i in ids]
        heads = hyp.attention.float().cpu().numpy()
        energies = hyp.energies.float().cpu().numpy()
        source_pieces = [EOS_TOKEN if i == EOS else p for i, p in zip(src.ids, src.display)]
        pieces = Translation(
            source_pieces,
            src.unknown,
            target_pieces,
            [i == UNK for i in ids],
            *alignment_head(heads, energies, self.card),
            hyp.log_probs.float().cpu().numpy(),
            ms,
            src.ids,
            ids,
            heads=heads,
            head_energies=energies,
            family=self.info.family,
            target_language=self.info.target_language,
            cut=target is None and hyp.cut,
        )
        source_words, source_groups = self.words(src.display)
        target_words, target_groups = self.words(
            [self.tokenizer.eos_token if i == EOS else p for i, p in zip(ids, target_pieces)]
        )
        merged = merge_attention(heads, target_groups, source_groups)
        log_probs = target_groups @ pieces.log_probs  # a word's probability is the product of its pieces'
        unknown_source = (source_groups @ np.array(src.unknown, float) > 0).tolist()
        unknown_target = (target_groups @ np.array(pieces.target_unknown, float) > 0).tolist()
        return Translation(
            source_words,
            unknown_source,
            target_words,
            unknown_target,
            *alignment_head(merged, np.full(merged.shape, np.nan), self.card),
            log_probs,
            ms,
            src.ids,
            ids,
            heads=merged,
            head_energies=np.full(merged.shape, np.nan),
            family=self.info.family,
            target_language=self.info.target_language,
            cut=pieces.cut,
            pieces=pieces,
        )

    def text_of(self, ids: list[int]) -> str:
        """The text of attnviz ids (up to EOS) as the model's tokenizer detokenizes its pieces."""
        ids = list(ids)
        ids = ids[: ids.index(EOS)] if EOS in ids else ids
        return self.tokenizer.decode(
            [self.model.specials[UNK] if i == UNK else i - ID_OFFSET for i in ids if i == UNK or i >= ID_OFFSET],
            skip_special_tokens=True,
        )

    def attribution(self, result: Translation) -> Attributions:
        """The attributions over pieces (``Translator.attribution``) merged to ``result``'s words: summed over a source
        word's pieces, averaged over a target word's (as ``merge_attention``); the norm-based reading is computed
        over the pieces' own attention record (``result.pieces``) and merged the same way."""
        pieces = attribute(self.model, result.source_ids, result.target_ids)
        pieces = replace(pieces, norm_based=self.norm_attention(result.pieces or result))
        _, source_groups = self.words([self.source_piece(i) for i in result.source_ids])
        _, target_groups = self.words([self.source_piece(i) for i in result.target_ids])
        merged = {m: merge_attention(pieces.of(m), target_groups, source_groups) for m in pieces.methods}
        return Attributions(
            **merged,
            log_probs=target_groups @ pieces.log_probs,
            baseline_log_probs=target_groups @ pieces.baseline_log_probs,
        )

    def self_attention(self, source_ids: list[int], target_ids: list[int]) -> dict[str, np.ndarray]:
        """{"encoder_self": (L_enc, H, Sw, Sw), "decoder_self": (L_dec, H, Tw, Tw)} merged to words (queries averaged,
        keys summed, as ``merge_attention``); ids are the piece ids of a Translation (``source_ids``, ``target_ids``)."""
        maps = self.model.self_attention(list(source_ids), list(target_ids))
        _, source_groups = self.words([self.source_piece(i) for i in source_ids])
        # the decoder's input at step i is the piece written before: its words follow the decoder-start token
        inputs = [self.tokenizer.pad_token or "<s>", *[self.source_piece(i) for i in target_ids[:-1]]]
        _, input_groups = self.words(inputs)
        return {
            "encoder_self": merge_attention(maps["encoder_self"], source_groups, source_groups),
            "decoder_self": merge_attention(maps["decoder_self"], input_groups, input_groups),
        }

    def source_piece(self, attnviz_id: int) -> str:
        """The piece of an attnviz id (the model's end token for EOS)."""
        return self.tokenizer.eos_token if attnviz_id == EOS else self.src_vocab.tokens[attnviz_id]

    def layer_counts(self) -> dict[str, int]:
        """Layers of each attention map."""
        c = self.model.config
        return {"cross": c.decoder_layers, "encoder_self": c.encoder_layers, "decoder_self": c.decoder_layers}

    def without_heads(self, off) -> HuggingFaceTranslator:
        """A copy whose listed heads contribute nothing (``HuggingFaceSeq2Seq.without_heads``).

        Raises:
            ValueError: a map, layer or head the model does not have, or a model whose heads cannot be switched off.
        """
        return replace_model(self, self.model.without_heads(off))

    def translate(
        self,
        text: str,
        normalizer=None,
        beam: int = 1,
        pretokenized: bool = False,
        override: dict[int, int] | None = None,
    ) -> Translation:
        """As ``Translator.translate``; the model's own softmax always (``steerable`` is False).

        Raises:
            InputError: bad text; ValueError: an override, or a normalizer other than the softmax.
        """
        refuse_steering(normalizer, override)
        return super().translate(text, None, beam, pretokenized)

    def force(self, text: str, translation: str, normalizer=None, pretokenized: bool = False) -> Translation:
        """As ``Translator.force``, with the model's own softmax.

        Raises:
            InputError: bad text; ValueError: a normalizer other than the softmax.
        """
        refuse_steering(normalizer, None)
        return super().force(text, translation, None, pretokenized)


def refuse_steering(normalizer, override) -> None:
    """Raise ValueError unless decoding keeps the model's own softmax and attention.

    Raises:
        ValueError: "this family cannot …" in one line.
    """
    if override:
        raise ValueError("a Hugging Face model's attention cannot be overridden here")
    if normalizer is not None and (normalizer.mode != "soft" or normalizer.temperature != 1.0):
        raise ValueError("a Hugging Face model decodes with its own softmax only (no --mode, no temperature)")


def replace_model(translator: HuggingFaceTranslator, model: HuggingFaceSeq2Seq) -> HuggingFaceTranslator:
    """A translator sharing ``translator``'s tokenizer and vocabulary around another module."""
    clone = object.__new__(HuggingFaceTranslator)
    clone.__dict__.update(translator.__dict__)
    clone.model = model
    return clone


def reads(config: dict) -> bool:
    """Whether ``Translator.load`` should hand a folder with this config.json to ``HuggingFaceTranslator``."""
    return is_huggingface(config)


Translator.readers.append((reads, HuggingFaceTranslator.load))
