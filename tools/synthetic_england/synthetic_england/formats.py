"""The file formats written: the CQC care directory header (its regulated
activities, service types and service user bands), the ONSPD header, and the
CQC specialism of each service user band."""
from __future__ import annotations

# -- the CQC directory header --------------------------------------------------------
ACTIVITIES = (
    "Accommodation for persons who require nursing or personal care",
    "Accommodation for persons who require treatment for substance misuse",
    "Assessment or medical treatment for persons detained under the 1983 Act",
    "Diagnostic and screening procedures", "Family planning services",
    "Management of supply of blood and blood derived products", "Maternity and midwifery services",
    "Nursing care", "Personal care", "Services in slimming clinics", "Surgical procedures",
    "Termination of pregnancies", "Transport services, triage and medical advice provided remotely",
    "Treatment of disease, disorder or injury",
)
SERVICE_TYPES = (
    "Acute services with overnight beds", "Acute services without overnight beds / listed acute services with or "
    "without overnight beds", "Ambulance service", "Blood and Transplant service", "Care home service with nursing",
    "Care home service without nursing", "Community based services for people who misuse substances",
    "Community based services for people with a learning disability",
    "Community based services for people with mental health needs",
    "Community health care services - Nurses Agency only", "Community healthcare service", "Dental service",
    "Diagnostic and/or screening service", "Diagnostic and/or screening service - single handed sessional providers",
    "Doctors consultation service", "Doctors treatment service", "Domiciliary care service",
    "Extra Care housing services", "Hospice services", "Hospice services at home",
    "Hospital services for people with mental health needs, learning disabilities and problems with substance "
    "misuse", "Long term conditions services", "Mobile doctors service", "Prison Healthcare Services",
    "Rehabilitation services", "Remote clinical advice service",
    "Residential substance misuse treatment and/or rehabilitation service", "Shared Lives",
    "Specialist college service", "Supported living service", "Urgent care services",
)
USER_BANDS = (
    "Children 0-18 years", "Dementia", "Learning disabilities or autistic spectrum disorder", "Mental Health",
    "Older People", "People detained under the Mental Health Act", "People who misuse drugs and alcohol",
    "People with an eating disorder", "Physical Disability", "Sensory Impairment", "Whole Population",
    "Younger Adults",
)
_LOCATION_COLUMNS = (
    "Location ID", "Location ODS Code", "Location Name", "Location Telephone Number", "Location Web Address",
    "Care home?", "Care homes beds", "Location Type/Sector", "Location Inspection Directorate",
    "Location Primary Inspection Category", "Location Latest Overall Rating", "Publication Date",
    "Inherited Rating (Y/N)", "Location Region", "Location NHS Region", "Location Local Authority",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG", "Location Street Address", "Location Address Line 2", "Location City",
    "Location County", "Location Postal Code", "Location Paf ID", "Location UPRN ID", "Location Latitude",
    "Location Longitude", "Location Parliamentary Constituency", "Location Also Known As", "Location Specialisms",
)
_PROVIDER_COLUMNS = (
    "Provider ID", "Provider Name", "Provider Type/Sector", "Provider Ownership Type", "Provider Telephone Number",
    "Provider Web Address", "Provider Street Address", "Provider Address Line 2", "Provider City",
    "Provider County", "Provider Postal Code", "Provider Local Authority", "Provider Region",
    "Provider Nominated Individual Name", "Brand ID", "Brand Name", "Dormant (Y/N)", "Location HSCA start date",
)
CQC_HEADER = (_LOCATION_COLUMNS + tuple(f"Regulated activity - {a}" for a in ACTIVITIES)
              + tuple(f"Service type - {s}" for s in SERVICE_TYPES)
              + tuple(f"Service user band - {b}" for b in USER_BANDS) + _PROVIDER_COLUMNS)
ONSPD_HEADER = tuple(
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,"
    "nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,msoa01,ur01ind,oac01,"
    "oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,"
    "msoa21".split(","))
SPECIALISMS = {  # service user band -> CQC specialism
    "Older People": "Caring for adults over 65 yrs", "Younger Adults": "Caring for adults under 65 yrs",
    "Dementia": "Dementia", "Learning disabilities or autistic spectrum disorder": "Learning disabilities",
    "Mental Health": "Mental health conditions", "Physical Disability": "Physical disabilities",
    "Sensory Impairment": "Sensory impairments", "People who misuse drugs and alcohol": "Substance misuse problems",
    "People with an eating disorder": "Eating disorders", "Children 0-18 years": "Caring for children",
    "Whole Population": "Caring for adults over 65 yrs",
    "People detained under the Mental Health Act":
        "Caring for people whose rights are restricted under the Mental Health Act",
}
