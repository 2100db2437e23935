"""The resident card domain as the root mounts it: accounts, residents and households, the city's
streets, the audit log, the card and its signed QR credentials."""

from __future__ import annotations

from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from resident_card.accounts import cli as accounts_cli
from resident_card.accounts import demo as accounts_demo
from resident_card.accounts import endpoints as accounts
from resident_card.accounts import retention as accounts_retention
from resident_card.audit import endpoints as audit
from resident_card.cards import device_endpoints as card_devices
from resident_card.cards import endpoints as cards
from resident_card.city import cli as city_cli
from resident_card.city import demo as city_demo
from resident_card.city import endpoints as city
from resident_card.credentials import cli as credentials_cli
from resident_card.credentials import demo as credentials_demo
from resident_card.credentials import endpoints as credentials
from resident_card.credentials.runtime import keyring_part
from resident_card.requests import endpoints as requests
from resident_card.residents import cli as residents_cli
from resident_card.residents import demo as residents_demo
from resident_card.residents import endpoints as residents
from resident_card.residents import requests as residents_requests
from resident_card.residents import tasks as residents_tasks
from resident_card.rights import card as rights_card
from resident_card.rights import endpoints as rights
from resident_card.rights import requests as rights_requests
from resident_card.web import pages

MANIFEST = Manifest(
    name="resident_card",
    routers=(
        accounts.router,
        residents.router,
        city.router,
        audit.router,
        cards.router,
        card_devices.router,
        credentials.router,
        requests.router,
        rights.router,
    ),
    root_routers=(credentials.root_router,),
    commands=(
        accounts_cli.users,
        residents_cli.residents,
        city_cli.city,
        credentials_cli.keys,
    ),
    demo=(
        accounts_demo.load_demo,
        city_demo.load_demo,
        residents_demo.load_demo,
        credentials_demo.load_demo,
    ),
    pages=(pages.router,),
    static=((STATIC_URL, pages.STATIC),),
    runtime_parts=(keyring_part,),
    jobs=(residents_tasks.TELL_HOLDERS, accounts_retention.RETENTION),
    retention=accounts_retention.RULES,
    # Enrolment, the first request a resident makes, and erasure, in the list of their requests;
    # the card's part of a person's file and of their erasure.
    plug_ins=(
        residents_requests.SOURCE,
        rights_requests.SOURCE,
        rights_card.EXPORT,
        rights_card.ERASURE,
    ),
)
