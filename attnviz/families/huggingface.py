"""The ``huggingface`` family: an encoder–decoder in the Hugging Face format (MarianMT / OPUS-MT, BART, mBART,
M2M-100 …) read from a local folder, behind the same step interface as the families attnviz trains.

A folder is ``config.json`` (with ``"model_type"`` and ``"is_encoder_decoder": true``), the tokenizer's files
and ``model.safetensors`` — or a pickled ``pytorch_model.bin``, read only with torch's weights-only loader
(``read_pickled_weights``), which refuses a file that would run code. Loading passes ``local_files_only=True``
and never ``trust_remote_code``: a config that names its own code (``auto_map``) is refused. Nothing is
downloaded. ``transformers`` is imported only when such a model is loaded, so the app's start is unchanged.

Ids: attnviz's decoding knows the special ids PAD, UNK, BOS, EOS = 0–3 of its own vocabularies
(``tokenization``). This wrapper shifts the model's ids by ``ID_OFFSET`` = 4 and maps its pad, unknown,
decoder-start and end tokens onto those four, so greedy, beam and forced decoding run unchanged; the
output distribution is the model's over its pieces, with its pad (never written; Hugging Face's own
generation forbids it too) left out.

Attention is the model's eager attention (``attn_implementation="eager"``: the softmax weights are
returned, fused kernels would not return them): records (decoder layers, heads, T, S) of cross-attention,
and encoder and decoder self-attention, over subword pieces (``attnviz.inference.huggingface`` merges them
to words). Decoding records no energies (NaN; ``trace`` recomputes one head's through hooks), and cannot replace
the softmax (``steerable`` False).
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import torch
from safetensors.torch import save_file

from ..data.files import atomic_path
from ..data.tokenization import BOS, EOS, PAD, UNK
from .base import FAMILIES, FamilyConfig, ModelInfo, MultiHeadTranslationModel, Step, StepTrace

ID_OFFSET = 4  # piece id p of the Hugging Face model is id p + 4 in attnviz (0–3 are its specials)
UNKNOWN_LANGUAGE = "und"  # ISO 639-2 "undetermined": a model whose languages no file names
LANGUAGES_FILE = "attnviz.json"  # optional, beside the model: {"source_language": "en", "target_language": "fr"}
SAFE_WEIGHTS = "model.safetensors"
PICKLED_WEIGHTS = "pytorch_model.bin"
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# opus-mt-en-fr, Helsinki-NLP--opus-mt-en-fr, my-model-en-fr: the last two codes of the folder name
FOLDER_PAIR = re.compile(r"(?:^|[-_])([a-z]{2,3})[-_]([a-z]{2,3})$")


class HuggingFaceError(ValueError):
    """A Hugging Face folder attnviz will not load; the message is one line naming the folder and the reason."""


def is_huggingface(config: dict) -> bool:
    """Whether a parsed config.json is a Hugging Face model's (``model_type``) rather than an attnviz card (``task``)."""
    return "model_type" in config and "task" not in config


def language_pair(directory: Path, config: dict) -> tuple[str, str]:
    """(source, target) ISO codes of a Hugging Face folder, from the first of: ``attnviz.json`` beside the
    model; the tokenizer's ``source_lang``/``target_lang`` (Marian writes them); the folder name
    (``opus-mt-en-fr``). ``UNKNOWN_LANGUAGE`` where none says.

    Raises:
        HuggingFaceError: ``attnviz.json`` is unreadable or names something that is not a language code.
    """
    directory = Path(directory)
    sidecar = directory / LANGUAGES_FILE
    if sidecar.is_file():
        try:
            values = json.loads(sidecar.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise HuggingFaceError(f"corrupt {sidecar}: {str(err).splitlines()[0]}") from None
        pair = (
            (values.get("source_language"), values.get("target_language")) if isinstance(values, dict) else (None, None)
        )
        if not all(isinstance(code, str) and LANGUAGE_CODE.match(code) for code in pair):
            raise HuggingFaceError(f'{sidecar} must give source_language and target_language as ISO codes like "en"')
        return pair
    tokenizer_config = _json_or_empty(directory / "tokenizer_config.json")
    pair = (tokenizer_config.get("source_lang"), tokenizer_config.get("target_lang"))
    if all(isinstance(code, str) and LANGUAGE_CODE.match(code) for code in pair):
        return pair
    match = FOLDER_PAIR.search(directory.name.lower())
    if match:
        return match.group(1), match.group(2)
    return UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE


def _json_or_empty(path: Path) -> dict:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return values if isinstance(values, dict) else {}


def check_folder(directory: Path, config: dict) -> None:
    """Refuse, before anything is imported or allocated, what attnviz will not load.

    Raises:
        HuggingFaceError: not an encoder–decoder; a config or tokenizer that names its own code (``auto_map``:
            it would need ``trust_remote_code``); no weights file; an implausible size.
    """
    directory = Path(directory)
    for name, values in (
        ("config.json", config),
        ("tokenizer_config.json", _json_or_empty(directory / "tokenizer_config.json")),
    ):
        if "auto_map" in values:
            raise HuggingFaceError(
                f"{directory / name} asks to run the model's own code (auto_map); "
                "attnviz never runs code from a model folder (no trust_remote_code)"
            )
    if config.get("is_encoder_decoder") is not True:
        raise HuggingFaceError(
            f"{directory} holds a {str(config.get('model_type'))[:40]!r} model that is not an "
            "encoder–decoder; attnviz shows the cross-attention of translation models"
        )
    if not any((directory / name).is_file() for name in (SAFE_WEIGHTS, PICKLED_WEIGHTS)):
        raise HuggingFaceError(f"{directory} has neither {SAFE_WEIGHTS} nor {PICKLED_WEIGHTS}")
    for key in ("vocab_size", "d_model", "encoder_layers", "decoder_layers"):
        value = config.get(key)
        if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1_000_000):
            raise HuggingFaceError(f"{directory / 'config.json'}: field {key!r} is missing or out of range")


def model_info(directory: Path, config: dict) -> ModelInfo:
    """The attnviz contract of a Hugging Face folder: a translation model of the ``huggingface`` family.

    Raises:
        HuggingFaceError: as ``check_folder`` and ``language_pair``.
    """
    check_folder(directory, config)
    source, target = language_pair(directory, config)
    heads = config.get("decoder_attention_heads", config.get("num_heads", 1))
    return ModelInfo(
        "translation",
        HuggingFaceSeq2Seq.family,
        source,
        target,
        (),
        config["decoder_layers"],
        heads if isinstance(heads, int) else 1,
        ("cross", "encoder_self", "decoder_self"),
    )


def card_of(info: ModelInfo) -> dict:
    """What attnviz knows of a Hugging Face model in place of a card: that it is one, and its language pair
    (``evaluation.test_split`` reads ``language_pair``); no training, no measured figures."""
    return {"hugging_face": True, "language_pair": info.pair_name}


def read_pickled_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a pickled ``pytorch_model.bin``, read with torch's weights-only unpickler (tensors and
    plain containers only; a pickle that would import or call anything is refused before it runs).

    Raises:
        HuggingFaceError: the file would run code, is corrupt, or holds something other than named tensors.
    """
    try:
        with warnings.catch_warnings():  # torch warns of pickle protocols it may not read; refusing is enough
            warnings.simplefilter("ignore", UserWarning)
            weights = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile) as err:
        # torch's message is a paragraph; its "WeightsUnpickler error:" line names what the pickle asked for
        found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", str(err))
        reason = found.group(1) if found else (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise HuggingFaceError(f"refused {path}: not plain tensors ({reason[:160]}); nothing in it was run") from None
    if not (
        isinstance(weights, dict)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items())
    ):
        raise HuggingFaceError(f"refused {path}: expected a mapping of names to tensors")
    return weights


def convert_to_safetensors(directory: Path) -> Path:
    """Write ``model.safetensors`` beside a folder's ``pytorch_model.bin`` (read by ``read_pickled_weights``),
    atomically; tensors that share memory (tied embeddings) are stored once each. The .bin is left in place.

    Returns:
        the path written.

    Raises:
        HuggingFaceError: no ``pytorch_model.bin``, or one that ``read_pickled_weights`` refuses.
    """
    directory = Path(directory)
    source = directory / PICKLED_WEIGHTS
    if not source.is_file():
        raise HuggingFaceError(f"{directory} has no {PICKLED_WEIGHTS} to convert")
    weights = {name: tensor.detach().clone().contiguous() for name, tensor in read_pickled_weights(source).items()}
    target = directory / SAFE_WEIGHTS
    with atomic_path(target) as partial:
        save_file(weights, str(partial), metadata={"format": "pt"})
    return target


@dataclass
class HuggingFaceConfig(FamilyConfig):
    """What attnviz reads of a Hugging Face config.

    Attributes:
        src_vocab_size, tgt_vocab_size: the model's vocabulary + ``ID_OFFSET``.
        model_type: e.g. "marian"; d_model: width; encoder_layers, decoder_layers; heads: decoder heads.
    """

    model_type: str = ""
    d_model: int = 0
    encoder_layers: int = 0
    decoder_layers: int = 0
    heads: int = 1


class Encoded(NamedTuple):
    """The encoder's output: memory (B, S, d), mask (B, S) bool (True at real positions),
    self_attention (B, L_enc, H, S, S)."""

    memory: torch.Tensor
    mask: torch.Tensor
    self_attention: torch.Tensor


@FAMILIES.register
class HuggingFaceSeq2Seq(MultiHeadTranslationModel):
    """A Hugging Face encoder–decoder behind the step interface (see the module docstring).

    Args:
        config: ``HuggingFaceConfig``.
        model: the loaded ``transformers`` model (eager attention, eval mode).
        forced_bos: a token id the model's generation config forces first (mBART-50, NLLB: the target
            language), or None.
    """

    family = "huggingface"
    display_name = "Hugging Face encoder–decoder"
    config_class = HuggingFaceConfig
    trainable: ClassVar[bool] = False
    steerable: ClassVar[bool] = False
    traceable: ClassVar[bool] = True

    def __init__(self, config: HuggingFaceConfig, model=None, forced_bos: int | None = None):
        super().__init__()
        self.config, self.hf, self.forced_bos = config, model, forced_bos
        hf_config = model.config
        self.specials = {
            PAD: hf_config.pad_token_id,
            UNK: getattr(hf_config, "unk_token_id", None),
            BOS: hf_config.decoder_start_token_id,
            EOS: hf_config.eos_token_id,
        }
        if self.specials[UNK] is None:
            self.specials[UNK] = hf_config.pad_token_id

    @classmethod
    def load(cls, directory: Path) -> HuggingFaceSeq2Seq:
        """Load a checked folder (``check_folder``) on the CPU in eval mode, weights from ``model.safetensors``, else
        from ``pytorch_model.bin`` through ``read_pickled_weights``.

        Raises:
            HuggingFaceError: as ``read_pickled_weights``, or transformers cannot build the model (one line).
        """
        import transformers  # deferred: about 2 s and hundreds of MB, paid only by those who open such a model

        transformers.utils.logging.disable_progress_bar()

        directory = Path(directory)
        options = {"local_files_only": True, "trust_remote_code": False, "attn_implementation": "eager"}
        try:
            if (directory / SAFE_WEIGHTS).is_file():
                model = transformers.AutoModelForSeq2SeqLM.from_pretrained(directory, use_safetensors=True, **options)
            else:
                weights = read_pickled_weights(directory / PICKLED_WEIGHTS)
                config = transformers.AutoConfig.from_pretrained(directory, **options)
                model = transformers.AutoModelForSeq2SeqLM.from_config(config, attn_implementation="eager")
                model.load_state_dict(weights, strict=False)
                model.tie_weights()
        except HuggingFaceError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise HuggingFaceError(f"transformers cannot load {directory}: {first[:200]}") from None
        model.eval()
        c = model.config
        heads = getattr(c, "decoder_attention_heads", getattr(c, "num_heads", 1))
        config = HuggingFaceConfig(
            c.vocab_size + ID_OFFSET,
            c.vocab_size + ID_OFFSET,
            c.model_type,
            getattr(c, "d_model", 0),
            c.encoder_layers,
            c.decoder_layers,
            heads,
        )
        forced = getattr(model.generation_config, "forced_bos_token_id", None)
        return cls(config, model, forced)

    # ids: attnviz's (specials 0–3, pieces shifted by ID_OFFSET) ↔ the model's
    def to_model_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """attnviz ids (any shape, long) → the model's piece ids."""
        out = ids - ID_OFFSET
        for ours, theirs in self.specials.items():
            out = torch.where(ids == ours, torch.full_like(ids, theirs), out)
        return out

    def from_model_ids(self, ids: list[int]) -> list[int]:
        """The model's piece ids → attnviz ids (its end token becomes EOS, its unknown token UNK)."""
        back = {self.specials[EOS]: EOS, self.specials[UNK]: UNK}
        return [back.get(i, i + ID_OFFSET) for i in ids]

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        """The model's next-piece logits (..., V) → attnviz's (..., V + 4): its end and unknown tokens at EOS and
        UNK, pad, decoder start and BOS at −∞ (never written)."""
        out = torch.full(
            (*logits.shape[:-1], logits.size(-1) + ID_OFFSET), float("-inf"), dtype=logits.dtype, device=logits.device
        )
        out[..., ID_OFFSET:] = logits
        for ours in (EOS, UNK):
            out[..., ours] = logits[..., self.specials[ours]]
        for theirs in {self.specials[EOS], self.specials[UNK], self.specials[PAD], self.specials[BOS]}:
            out[..., theirs + ID_OFFSET] = float("-inf")
        return out

    @torch.inference_mode()
    def trace(
        self, source_ids: list[int], target_ids: list[int], step: int, normalizer, head: tuple[int, int] = (0, 0)
    ) -> StepTrace:
        """One cross-attention head at ``step`` of a translation, read through forward hooks on that layer's
        query, key and value projections while the decoder reads the prefix (teacher forcing).

        Args:
            source_ids, target_ids: piece ids of a translation (attnviz ids); step: 0 ≤ step < T;
            normalizer: unused (the model's own softmax); head: (layer, head), 0-based.

        Returns:
            StepTrace: q_i (d_k,), keys k_j (S, d_k), energies q_i·k_j / √d_k (S,) (the model's ``scaling``),
            the model's weights (S,) and Σ_j α_ij v_j (d_k,), before the output projection.

        Raises:
            IndexError: step, layer or head out of range; ValueError: modules named otherwise (``attention_block``).
        """
        self.check_trace(target_ids, step, head)
        layer, h = head
        block = self.attention_block("cross", layer)
        captured: dict[str, torch.Tensor] = {}
        hooks = [
            getattr(block, name).register_forward_hook(
                lambda module, inputs, output, name=name: captured.__setitem__(name, output)
            )
            for name in ("q_proj", "k_proj", "v_proj")
        ]
        try:
            encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
            prefix = self.to_model_ids(torch.tensor([[BOS, *target_ids[:step]]]))
            out = self._decoder(prefix, encoded, output_attentions=True)
        finally:
            for hook in hooks:
                hook.remove()
        H, d_k = self.config.heads, self.config.d_model // self.config.heads
        query = captured["q_proj"][0, -1].view(H, d_k)[h].float()
        keys = captured["k_proj"][0].view(-1, H, d_k)[:, h].float()
        values = captured["v_proj"][0].view(-1, H, d_k)[:, h].float()
        weights = out.cross_attentions[layer][0, h, -1].float()
        energies = keys @ query * getattr(block, "scaling", d_k**-0.5)
        return StepTrace(
            step, query.numpy(), keys.numpy(), energies.numpy(), weights.numpy(), (weights @ values).numpy()
        )

    def describe(self) -> str:
        """'marian (Hugging Face) 6+6 layers × 8 heads, d 512'."""
        c = self.config
        return f"{c.model_type} (Hugging Face) {c.encoder_layers}+{c.decoder_layers} layers × {c.heads} heads, d {c.d_model}"

    def architecture(self, source_language: str, target_language: str) -> str:
        """One paragraph for a card."""
        return f"{self.describe()}, loaded from a Hugging Face folder ({source_language} → {target_language})."

    @property
    def longest_target(self) -> int:
        """Learned or fixed position tables end at ``max_position_embeddings``; the decoder-start token takes one."""
        return max(1, getattr(self.hf.config, "max_position_embeddings", 1 << 30) - 1)

    def source_embedding(self) -> torch.nn.Module:
        """The encoder's token embedding (its output is scaled inside the encoder, as the model does)."""
        return self.hf.get_encoder().embed_tokens

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """Run the model's encoder on (B, S) attnviz ids (``TranslationModel.encode``)."""
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths[:, None]
        out = self.hf.get_encoder()(
            input_ids=self.to_model_ids(src), attention_mask=mask.long(), output_attentions=True, return_dict=True
        )
        return Encoded(out.last_hidden_state, mask, torch.stack(out.attentions, 1))

    def initial_state(self, encoded: Encoded) -> torch.Tensor:
        """No piece written yet: an empty (B, 0) prefix of the model's ids."""
        return torch.zeros(encoded.mask.size(0), 0, dtype=torch.long, device=encoded.mask.device)

    def _decoder(self, prefix: torch.Tensor, encoded: Encoded, **options):
        from transformers.modeling_outputs import BaseModelOutput  # deferred with transformers (see ``load``)

        return self.hf(
            encoder_outputs=BaseModelOutput(last_hidden_state=encoded.memory),
            attention_mask=encoded.mask.long(),
            decoder_input_ids=prefix,
            use_cache=False,
            return_dict=True,
            **options,
        )

    def decode_step(self, y_prev: torch.Tensor, state: torch.Tensor, encoded: Encoded, normalize) -> Step:
        """One step (``TranslationModel.decode_step``). The state is the prefix of the model's ids read so far,
        and the decoder reads it whole each step (no key/value cache: sentences are short, and the state stays
        a plain tensor that beam search can reorder). ``normalize`` is not used (``steerable`` is False).

        Returns:
            ``Step``: logits (B, V + 4); attention (B, L, H, S), each layer's cross-attention of the new piece;
            energies NaN (not exposed by the model).
        """
        prefix = torch.cat([state, self.to_model_ids(y_prev)[:, None]], 1)
        out = self._decoder(prefix, encoded, output_attentions=True)
        logits = self.scores(out.logits[:, -1].float())
        if self.forced_bos is not None and prefix.size(1) == 1:
            kept = logits[:, self.forced_bos + ID_OFFSET].clone()
            logits.fill_(float("-inf"))
            logits[:, self.forced_bos + ID_OFFSET] = kept
        attention = torch.stack([layer[:, :, -1] for layer in out.cross_attentions], 1).float()
        return Step(logits, prefix, attention, torch.full_like(attention, float("nan")))

    def forced_logits(self, encoded: Encoded, tgt_in: torch.Tensor, normalize) -> torch.Tensor:
        """Teacher forcing in one decoder pass (the model's causal mask), (B, T, V + 4) (``TranslationModel.forced_logits``)."""
        return self.scores(self._decoder(self.to_model_ids(tgt_in), encoded).logits.float())

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher-forced logits (B, T, V + 4) of attnviz ids ``tgt_in`` (B, T) (attnviz does not train this family)."""
        encoded = self.encode(src, lengths)
        return self.scores(self._decoder(self.to_model_ids(tgt_in), encoded).logits)

    @torch.inference_mode()
    def self_attention(self, source_ids: list[int], target_ids: list[int]) -> dict[str, np.ndarray]:
        """The self-attention maps while reading ``target_ids`` (teacher forcing), over pieces.

        Returns:
            {"encoder_self": (L_enc, H, S, S), "decoder_self": (L_dec, H, T, T)} float; row i of a decoder map is
            step i (its input is the decoder start or piece i − 1); later steps' cells are NaN (the causal mask).
        """
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        inputs = self.to_model_ids(torch.tensor([[BOS, *target_ids[:-1]]]))
        decoder = (
            torch.stack(self._decoder(inputs, encoded, output_attentions=True).decoder_attentions, 1)[0].float().numpy()
        )
        T = decoder.shape[-1]
        decoder[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] = np.nan
        return {"encoder_self": encoded.self_attention[0].float().numpy(), "decoder_self": decoder}

    def attention_block(self, kind: str, layer: int):
        """The attention module of map ``kind`` in ``layer`` (0-based), as BART-like models name them
        (``encoder.layers[l].self_attn``, ``decoder.layers[l].self_attn`` / ``.encoder_attn``).

        Raises:
            ValueError: an unknown map, a layer outside the model, or a model whose modules are named otherwise.
        """
        try:
            stack = {
                "encoder_self": self.hf.get_encoder().layers,
                "decoder_self": self.hf.get_decoder().layers,
                "cross": self.hf.get_decoder().layers,
            }[kind]
        except KeyError:
            raise ValueError(
                f"unknown attention map {kind!r}; choose one of {', '.join(self.attention_maps())}"
            ) from None
        except AttributeError:
            raise ValueError(f"the heads of this {self.config.model_type} model cannot be switched off here") from None
        if not 0 <= layer < len(stack):
            raise ValueError(f"layer {layer + 1} outside the model's {len(stack)} layers")
        block = getattr(stack[layer], "encoder_attn" if kind == "cross" else "self_attn", None)
        if block is None or not hasattr(block, "out_proj"):
            raise ValueError(f"the heads of this {self.config.model_type} model cannot be switched off here")
        return block

    def value_vectors(self, source_ids: list[int]) -> np.ndarray:
        """f^h(x_j) = (m_j W_V + b_V)^h W_O^h of every decoder layer's cross-attention (``encoder_attn``'s
        ``v_proj`` and ``out_proj``, as BART-like models name them; Kobayashi et al. 2020, eq. 5), over the pieces.

        Returns:
            (L, H, S, d) float.

        Raises:
            NotImplementedError: a model whose cross-attention modules are named otherwise (T5's ``v``/``o``).
        """
        with torch.no_grad():
            encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
            memory, vectors = encoded.memory[0], []  # (S, d)
            for layer in range(self.attention_shape()[0]):
                try:
                    block = self.attention_block("cross", layer)
                except ValueError as err:
                    raise NotImplementedError(str(err)) from None
                if not hasattr(block, "v_proj"):
                    raise NotImplementedError(f"the values of this {self.config.model_type} model are named otherwise")
                heads = getattr(block, "num_heads", self.config.heads)
                d_k = block.out_proj.weight.shape[1] // heads
                values = block.v_proj(memory).view(len(source_ids), heads, d_k).transpose(0, 1)  # (H, S, d_k)
                W_O = block.out_proj.weight
                vectors.append(torch.stack([values[h] @ W_O[:, h * d_k : (h + 1) * d_k].T for h in range(heads)]))
        return torch.stack(vectors).float().numpy()

    def output_projection(self, kind: str, layer: int) -> tuple[torch.Tensor, int]:
        """(out_proj.weight, heads) of ``attention_block(kind, layer)`` (``MultiHeadTranslationModel``)."""
        block = self.attention_block(kind, layer)
        return block.out_proj.weight, getattr(block, "num_heads", self.config.heads)
