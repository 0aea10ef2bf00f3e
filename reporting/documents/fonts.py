"""Which fonts the machine has: a CJK font file for the chart, and the faces the PDF uses.

matplotlib finds fonts by family name in its per-user cache, built once; a cache built
before the CJK fonts were installed turns every Chinese glyph into a box (and prints one
warning per glyph). So the chart is given a font *file*, found here through fontconfig
(``fc-list``) or configured, independent of that cache. LibreOffice maps the official
公文 font names through ``fonts.conf``; ``pdf_substitutes`` asks fontconfig with that file
which installed face each name becomes, so ``duban check`` can say so.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FONTS_CONF = Path(__file__).with_name("fonts.conf")

# the chart's faces, best first: sans faces read best at small sizes
CHART_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "LXGW WenKai",
    "AR PL UMing CN",
)

# the official names the documents use → the kind of face each one is
OFFICIAL_FONTS = {
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "黑体": "黑体",
    "方正小标宋简体": "小标宋",
    "宋体": "宋体",
}
# what an installed family's name says about its kind (lower case)
_KIND_HINTS = {
    "仿宋": ("fangsong", "仿宋"),
    "楷体": ("kai", "楷"),
    "黑体": ("hei", "sans", "黑"),
    "小标宋": ("xiaobiaosong", "小标宋", "serif", "song", "ming", "宋"),
    "宋体": ("song", "serif", "ming", "宋"),
}

INSTALL_HINT = (
    "请安装中文字体（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk；"
    "CentOS/麒麟：yum install google-noto-sans-cjk-ttc-fonts），"
    "或在 config.toml 的 [report] chart_font 中填写中文字体文件的路径"
)


@dataclass(frozen=True)
class FontFile:
    family: str
    path: Path
    index: int = 0  # face in a .ttc collection


def _fc(args: list[str], conf: Path | None = None) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        return ""
    cmd = [exe, *args[1:]]
    if conf is not None:
        cmd = ["env", f"FONTCONFIG_FILE={conf}", *cmd]  # inherits the rest of the environment
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""


def cjk_faces() -> list[FontFile]:
    """Every installed face that covers Simplified Chinese (fontconfig), in a stable order."""
    faces = set()
    for line in _fc(
        ["fc-list", ":lang=zh-cn", "--format", "%{family[0]}\t%{file}\t%{index}\n"]
    ).splitlines():
        family, _, rest = line.partition("\t")
        path, _, index = rest.partition("\t")
        if family and path:
            faces.add(FontFile(family.strip(), Path(path), int(index or 0)))
    return sorted(faces, key=lambda f: (f.family, str(f.path), f.index))


def chart_font(
    configured: Path | None = None, faces: list[FontFile] | None = None
) -> FontFile | None:
    """The chart's CJK font: the configured file if it exists, else the best installed face."""
    if configured is not None and Path(configured).is_file():
        return FontFile(Path(configured).stem, Path(configured), 0)
    faces = cjk_faces() if faces is None else faces
    regular = [f for f in faces if "bold" not in f.path.name.lower()] or faces
    for family in CHART_FAMILIES:
        for face in regular:
            if face.family == family:
                return face
    return regular[0] if regular else None


@dataclass(frozen=True)
class Substitute:
    official: str  # 仿宋_GB2312
    kind: str  # 仿宋
    family: str  # what LibreOffice will use ("" when fontconfig is missing)
    exact: bool  # the family is of the same kind (a real 仿宋 for 仿宋_GB2312)

    def line(self) -> str:
        if not self.family:
            return f"{self.official} → 无法确定（未找到 fc-match）"
        if self.family == self.official:
            return f"{self.official} → 已安装"
        note = "" if self.exact else f"（本机无{self.kind}字体，以相近字形代替）"
        return f"{self.official} → {self.family}{note}"


def pdf_substitutes(conf: Path = FONTS_CONF) -> list[Substitute]:
    """Which installed face LibreOffice's PDF gets for each official font name."""
    out = []
    for official, kind in OFFICIAL_FONTS.items():
        family = _fc(
            ["fc-match", "--format", "%{family[0]}", f"{official}:lang=zh-cn"], conf
        ).strip()
        lowered = family.lower()
        exact = family == official or any(h in lowered for h in _KIND_HINTS[kind][:2])
        out.append(Substitute(official, kind, family, exact))
    return out
