"""ONS postcode directory files for the reader's tests, written in the real
formats: the real column lists of the classic ONSPD, of the NSPL and of a
2025 ONSPD, quoted as ONS quotes them, with CRLF line ends."""

import csv
import io

from providers.postcode_directory import read_directory


ONSPD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,"
    "oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,"
    "msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,"
    "calncv,icb,oa21,lsoa21,msoa21").split(",")
NSPL_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa11,cty,ced,laua,ward,hlthau,"
    "nhser,ctry,rgn,pcon,eer,teclec,ttwa,pct,itl,park,lsoa11,msoa11,wz11,ccg,bua11,buasd11,ru11ind,"
    "oac11,lat,long,lep1,lep2,pfa,imd,calncv,stp").split(",")
ONSPD_2025_HEADER = (
    "pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,oa21cd,cty25cd,ced25cd,lad25cd,"
    "wd25cd,nhser24cd,ctry25cd,rgn25cd,pcon24cd,ttwa15cd,itl25cd,npark16cd,lsoa21cd,msoa21cd,wz11cd,"
    "sicbl24cd,bua24cd,ruc21ind,oac11ind,lat,long,lep21cd1,lep21cd2,pfa23cd,imd20ind,icb23cd").split(",")

# The fields each style names differently: role -> column name.
STYLES = {
    "onspd": {"county": "oscty", "district": "oslaua", "sub_icb": "sicbl", "icb": "icb", "nhser": "nhser",
              "ctry": "ctry", "rgn": "rgn"},
    "nspl": {"county": "cty", "district": "laua", "sub_icb": "ccg", "icb": None, "nhser": "nhser",
             "ctry": "ctry", "rgn": "rgn"},
    "onspd2025": {"county": "cty25cd", "district": "lad25cd", "sub_icb": "sicbl24cd", "icb": "icb23cd",
                  "nhser": "nhser24cd", "ctry": "ctry25cd", "rgn": "rgn25cd"},
}
HEADERS = {"onspd": ONSPD_HEADER, "nspl": NSPL_HEADER, "onspd2025": ONSPD_2025_HEADER}

# Plausible places. Barnsley is a metropolitan district (no county); Ashford
# is a Kent district, Kent County Council having the social care duties.
BARNSLEY = dict(pcds="S70 1AA", dointr="198001", doterm="", county="E99999999", district="E08000016",
                sub_icb="E38000006", icb="E54000061", nhser="E40000012", ctry="E92000001", rgn="E12000003",
                east="434550", north="406374", lat="53.552285", long="-1.481713")
BARNSLEY_2 = dict(BARNSLEY, pcds="S70 1AB", lat="53.553285", long="-1.479713")
ASHFORD = dict(pcds="TN23 1AB", dointr="198001", doterm="", county="E10000016", district="E07000105",
               sub_icb="E38000237", icb="E54000032", nhser="E40000005", ctry="E92000001", rgn="E12000008",
               east="600920", north="142588", lat="51.146553", long="0.871838")
EDINBURGH = dict(pcds="EH1 1AA", dointr="198001", doterm="", county="S99999999", district="S12000036",
                 sub_icb="S99999999", icb="S99999999", nhser="S99999999", ctry="S92000003", rgn="S99999999",
                 east="325802", north="673801", lat="55.951767", long="-3.188541")
TERMINATED = dict(BARNSLEY, pcds="S70 9ZZ", dointr="198001", doterm="200012")
NO_COORDINATES = dict(BARNSLEY, pcds="S70 2ZZ", east="", north="", lat="99.999999", long="0.000000")


def pcd7(postcode: str) -> str:
    if postcode.count(" ") != 1:
        return postcode
    outward, inward = postcode.split(" ")
    return f"{outward:<4}{inward}"[:7] if len(outward) < 4 else outward + inward


def pcd8(postcode: str) -> str:
    if postcode.count(" ") != 1:
        return postcode
    outward, inward = postcode.split(" ")
    return f"{outward:<4} {inward}"


def row_for(style: str, place: dict, **override) -> list[str]:
    """A row of `style` for a place, every other column given a plausible value."""
    place = {**place, **override}
    header = HEADERS[style]
    names = STYLES[style]
    values = {name: "" for name in header}
    postcode = place["pcds"]
    values.update({"pcds": postcode, "dointr": place["dointr"], "doterm": place["doterm"],
                   "lat": place["lat"], "long": place["long"]})
    if style == "onspd2025":
        values.update({"pcd7": pcd7(postcode), "pcd8": pcd8(postcode), "usrtypind": "0",
                       "east1m": place["east"], "north1m": place["north"], "gridind": "1",
                       "oa21cd": "E00038422", "ced25cd": "E99999999", "wd25cd": "E05010845",
                       "pcon24cd": "E14001070", "ttwa15cd": "E30000163", "itl25cd": "TLE31",
                       "npark16cd": "E65000001", "lsoa21cd": "E01007269", "msoa21cd": "E02001519",
                       "wz11cd": "E33010447", "bua24cd": "E63007706", "ruc21ind": "UN1",
                       "oac11ind": "7B3", "lep21cd1": "E37000062", "lep21cd2": "", "pfa23cd": "E23000011",
                       "imd20ind": "3542"})
    else:
        values.update({"pcd": pcd7(postcode), "pcd2": pcd8(postcode), "usertype": "0",
                       "oseast1m": place["east"], "osnrth1m": place["north"], "osgrdind": "1",
                       "ced": "E99999999", "oa11": "E00038422", "lsoa11": "E01007269", "msoa11": "E02001519",
                       "wz11": "E33010447", "ru11ind": "C1", "oac11": "7B3", "lep1": "E37000062",
                       "pfa": "E23000011", "imd": "3542", "calncv": "E56000026", "pcon": "E14000537",
                       "eer": "E15000003", "teclec": "E24000040", "ttwa": "E30000163", "pct": "E16000028",
                       "itl": "E06000061", "park": "E65000001"})
        if style == "onspd":
            values.update({"osward": "E05010845", "parish": "E43000001", "oshlthau": "E18000003",
                           "streg": "0", "statsward": "99ZZ00", "oa01": "E00038422", "casward": "00CCFA",
                           "lsoa01": "E01007269", "msoa01": "E02001519", "ur01ind": "A", "oac01": "3C2",
                           "bua22": "E63007706", "oa21": "E00038422", "lsoa21": "E01007269",
                           "msoa21": "E02001519"})
        else:
            values.update({"ward": "E05010845", "hlthau": "E18000003", "bua11": "E34004859",
                           "buasd11": "E35001266", "stp": "E54000061"})
    for role in ("county", "district", "sub_icb", "icb", "nhser", "ctry", "rgn"):
        if names[role]:
            values[names[role]] = place[role]
    return [values[name] for name in header]


def write_csv(path, header, rows, *, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL, bom=False) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("ascii")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_directory(path, style, places, **options) -> None:
    write_csv(path, HEADERS[style], [row_for(style, place) for place in places], **options)


def read_all(source, **options):
    reader = read_directory(source, **options)
    records = list(reader)
    summary = reader.summary
    assert summary.read == summary.loaded + summary.terminated + summary.outside_england + summary.rejected
    return records, summary


PLACES = [BARNSLEY, ASHFORD, EDINBURGH, TERMINATED, NO_COORDINATES]
