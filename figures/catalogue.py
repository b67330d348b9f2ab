"""The figures stage's settings: metric wordings and subject cues, typed and frozen.

The app shell passes config.yaml's `figures:` mapping to `load_catalogue`; without
one, the default in catalogue.yaml (next to this module) applies. Extraction
(figures.extract, figures.subjects) reads only the `Catalogue` this returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import ConfigDict, TypeAdapter

from figures.errors import CatalogueError
from figures.model import Unit

__all__ = [
    "Catalogue",
    "MetricDef",
    "SubjectDef",
    "Wordings",
    "load_catalogue",
    "simplify",
]

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")
SubjectKind = Literal["place", "part", "programme", "government", "city"]
_STRICT = ConfigDict(extra="forbid")

# Traditional -> Simplified, one character for one, so offsets in the text survive.
_TRAD = (
    "萬億與業東絲兩個豐臨為麗舉麼義樂習書買亂爭於雲亞產親億僅從倫偉側偵傳傷傾僱價儀優會"
    "體佔來係俠們倉個備債傾儲兒黨內冊寫軍農凍劃則剛創刪別剝勁動務勝勞勢勵區醫華協單賣衛"
    "廠廣廳歷壓厲參發變敘號員問啟喚團園圍國圖圓場塊壞壇夥處備夠夢頭奪獎奮婦媽學寧實審寬"
    "對導壽將屆屬層崗島嶺幣帥師帳幫幹庫廢開異彈強歸當錄徑後從復徵總恆愛態慣憂應懷戰戶"
    "擴據擁擇擔擬擊擋擠攜擺數斷於時書會條來東極構標樣樹橋機權歡歲歷殘毀氣漢湧測濟灣滿漲"
    "無為煙熱燈營爭獨獸環現璽產畢畫異當發盡監盤眾矚確碼礎禮種稱積穩窮競筆築範簡節籌類"
    "紀約級紅納純紙組細終經結給統絕絡繼續維綜網綠緊線編練縣縮總績織繳罰聯聲職聽臺與興舊艙"
    "華萬葉著蘇處號術衛製複見規視覽觀計討訓記訪設許訴診評詞試詳誌語誤說調談請論諮謀講證識"
    "議護讀變讓豐貝負財責貢貨販貫貴費貿賀資賣質購贊贏趕趨跡車軌軟輔輕較載輪辦農連週進運過"
    "達違遠適遷選遺邊鄉醫釋里針鐘鋼錢錯鍵長門開間閱關陣陸陽隊階際險隨隱雜離難電靈頁項順"
    "須預領頻題額顯風飛館馬駐驗體髮鬥點齊僑備傑"
    "該報撥樓廈棟餘頃療藥話詢這還補認專獲齡輛鐵龍獻況準畝駕歐揮執鑑"
)
_SIMP = (
    "万亿与业东丝两个丰临为丽举么义乐习书买乱争于云亚产亲亿仅从伦伟侧侦传伤倾雇价仪优会"
    "体占来系侠们仓个备债倾储儿党内册写军农冻划则刚创删别剥劲动务胜劳势励区医华协单卖卫"
    "厂广厅历压厉参发变叙号员问启唤团园围国图圆场块坏坛伙处备够梦头夺奖奋妇妈学宁实审宽"
    "对导寿将届属层岗岛岭币帅师帐帮干库废开异弹强归当录径后从复征总恒爱态惯忧应怀战户"
    "扩据拥择担拟击挡挤携摆数断于时书会条来东极构标样树桥机权欢岁历残毁气汉涌测济湾满涨"
    "无为烟热灯营争独兽环现玺产毕画异当发尽监盘众瞩确码础礼种称积稳穷竞笔筑范简节筹类"
    "纪约级红纳纯纸组细终经结给统绝络继续维综网绿紧线编练县缩总绩织缴罚联声职听台与兴旧舱"
    "华万叶著苏处号术卫制复见规视览观计讨训记访设许诉诊评词试详志语误说调谈请论咨谋讲证识"
    "议护读变让丰贝负财责贡货贩贯贵费贸贺资卖质购赞赢赶趋迹车轨软辅轻较载轮办农连周进运过"
    "达违远适迁选遗边乡医释里针钟钢钱错键长门开间阅关阵陆阳队阶际险随隐杂离难电灵页项顺"
    "须预领频题额显风飞馆马驻验体发斗点齐侨备杰"
    "该报拨楼厦栋余顷疗药话询这还补认专获龄辆铁龙献况准亩驾欧挥执鉴"
)
assert len(_TRAD) == len(_SIMP)
_T2S = str.maketrans(_TRAD, _SIMP)


def simplify(text: str) -> str:
    """Traditional Chinese characters as Simplified, same length (offsets stay valid)."""
    return text.translate(_T2S)


@dataclass(frozen=True)
class Wordings:
    """The same cue in English and in Chinese (either script)."""

    __pydantic_config__ = _STRICT
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    def for_language(self, language: str) -> tuple[str, ...]:
        """Chinese text also quotes English names, so zh gets both lists."""
        if language == "zh":
            return tuple(simplify(w) for w in self.zh) + self.en
        return self.en


@dataclass(frozen=True)
class MetricDef:
    """One catalogue metric: a stable key and the words that state it."""

    __pydantic_config__ = _STRICT
    key: str
    help: str = ""
    units: tuple[Unit, ...] = ("count",)
    wordings: Wordings = field(default_factory=Wordings)
    context: Wordings = field(default_factory=Wordings)
    refines: tuple[str, ...] = ()
    default_for: tuple[Unit, ...] = ()
    measures: tuple[str, ...] = ()
    unless: Wordings = field(default_factory=Wordings)


@dataclass(frozen=True)
class SubjectDef:
    """Something other than the watched organisation that a sentence may credit."""

    __pydantic_config__ = _STRICT
    name: str
    kind: SubjectKind
    wordings: Wordings
    position: Literal["anywhere", "clause_start", "before_number"] = "anywhere"


@dataclass(frozen=True)
class Anaphors:
    """Words that point back to the last named place or company."""

    __pydantic_config__ = _STRICT
    place: Wordings = field(default_factory=Wordings)
    company: Wordings = field(default_factory=Wordings)
    part: Wordings = field(default_factory=Wordings)


@dataclass(frozen=True)
class Landmark:
    """Words that make a name a landmark: said before it ("next to") or after it (旁邊)."""

    __pydantic_config__ = _STRICT
    before: Wordings = field(default_factory=Wordings)
    after: Wordings = field(default_factory=Wordings)


@dataclass(frozen=True)
class Catalogue:
    """Everything figure extraction needs to know about metrics and subjects."""

    __pydantic_config__ = _STRICT
    metrics: tuple[MetricDef, ...]
    watched: Wordings = field(default_factory=Wordings)
    watched_sites: Wordings = field(default_factory=Wordings)
    anaphors: Anaphors = field(default_factory=Anaphors)
    company_suffixes: tuple[str, ...] = ()
    place_suffixes: tuple[str, ...] = ()
    subjects: tuple[SubjectDef, ...] = ()
    landmark: Landmark = field(default_factory=Landmark)
    money_other: Wordings = field(default_factory=Wordings)
    uncounted: Wordings = field(default_factory=Wordings)

    def metric(self, key: str) -> MetricDef:
        """The metric with this key (KeyError if the catalogue has none)."""
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(key)


_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def _default_data() -> dict[str, Any]:
    with DEFAULT_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _merge(default: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """User keys replace default ones; metrics and subjects merge by key / name."""
    merged = dict(default)
    for name, value in data.items():
        ident = {"metrics": "key", "subjects": "name"}.get(name)
        if ident and isinstance(value, list) and isinstance(default.get(name), list):
            entries = {e.get(ident): e for e in default[name]}
            extra: list[Any] = []
            for entry in value:
                key = entry.get(ident) if isinstance(entry, Mapping) else None
                if key in entries and key is not None:
                    entries[key] = entry
                else:
                    extra.append(entry)
            merged[name] = [*entries.values(), *extra]
        else:
            merged[name] = value
    return merged


def _where(loc: tuple[int | str, ...]) -> str:
    path = "figures"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def load_catalogue(data: Mapping[str, Any] | None = None) -> Catalogue:
    """The catalogue from config.yaml's `figures:` mapping, over the shipped default.

    Raises CatalogueError naming the first bad key, e.g. "figures.metrics[3].key: ...".
    """
    if data is not None and not isinstance(data, Mapping):
        raise CatalogueError(f"figures: expected a mapping, got {type(data).__name__}")
    raw = _merge(_default_data(), data or {})
    try:
        catalogue = TypeAdapter(Catalogue).validate_python(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        raise CatalogueError(f"{_where(error['loc'])}: {error['msg']}") from None
    keys: set[str] = set()
    for i, metric in enumerate(catalogue.metrics):
        if not _KEY_RE.match(metric.key):
            raise CatalogueError(
                f"figures.metrics[{i}].key: {metric.key!r} is not a lowercase_with_underscores key"
            )
        if metric.key in keys:
            raise CatalogueError(f"figures.metrics[{i}].key: {metric.key!r} appears twice")
        keys.add(metric.key)
    for i, metric in enumerate(catalogue.metrics):
        for ref in metric.refines:
            if ref not in keys:
                raise CatalogueError(f"figures.metrics[{i}].refines: unknown metric {ref!r}")
    return catalogue
