"""The D365 client gets its token through msal (cached, renewed when D365 refuses it), reads every
page once across companies, creates a journal header and its lines atomically, turns D365's
refusals into errors that name the entity, the key and D365's words, and survives throttling,
server errors and timeouts without ever writing twice.

Real components only: msal talks to the simulator's Entra ID endpoint through the client's
``http_client`` adapter; the simulator runs in process (httpx transport) or as a loopback server.
Backoff waits are recorded through the injectable ``sleep``, except where a test really waits.
"""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from hl_d365_assets.d365.client import BatchOperation, D365Api, D365Client
from hl_d365_assets.d365.errors import (
    D365AuthError,
    D365OutcomeUnknown,
    D365Unavailable,
    D365ValidationError,
)
from hl_d365_assets.ledger.d365_journals import (
    CUSTOMER_PAYMENT_JOURNAL,
    GENERAL_JOURNAL,
    create_journal,
    journal_lines,
)
from hl_d365_assets.sandbox.d365_simulator import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
    serve,
)
from hl_d365_assets.sandbox.d365_simulator.seed import read_seed

TOKEN_PATH = f"/{SANDBOX_TENANT_ID}/oauth2/v2.0/token"
DAY = "2026-11-20"


def make_client(**overrides) -> D365Client:
    settings = {
        "environment_url": SANDBOX_ENVIRONMENT_URL,
        "tenant_id": SANDBOX_TENANT_ID,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "max_attempts": 4,
        "backoff_base_seconds": 0.5,
        "backoff_max_seconds": 8.0,
        **overrides,
    }
    return D365Client(**settings)


@pytest.fixture
def sim() -> D365Simulator:
    return D365Simulator(environment_url=SANDBOX_ENVIRONMENT_URL)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api(sim: D365Simulator, sleeps: list[float]) -> Iterator[D365Api]:
    with make_client().open(sim.transport(), sleep=sleeps.append) as session:
        yield session


def header(description: str = "HLD365:usrt:GJ:2026-11-20:3f2a9c", company: str = "usrt") -> dict:
    return {"dataAreaId": company, "JournalName": "GenJrn", "Description": description}


def journal_line(account: str, debit: str = "0", credit: str = "0", **fields) -> dict:
    return {
        "AccountType": "Ledger",
        "AccountDisplayValue": account,
        "DebitAmount": Decimal(debit),
        "CreditAmount": Decimal(credit),
        "CurrencyCode": "USD",
        "TransDate": DAY,
        "Text": "Heartland settlement",
        **fields,
    }


BALANCED = [
    journal_line("112100-001-RETAIL", debit="1234.56"),
    journal_line("618100-001-RETAIL", debit="27.15"),
    journal_line("401100-001-RETAIL", credit="1261.71"),
]


# -- tokens -------------------------------------------------------------------------------------


def test_token_comes_from_msal_once_and_is_reused(sim: D365Simulator, api: D365Api) -> None:
    for _ in range(3):
        api.read_all("JournalNames")

    assert api.token_requests == 1
    assert sim.request_count("POST", TOKEN_PATH) == 1
    assert sim.request_count("GET", "/data/JournalNames") == 3


def test_a_token_close_to_expiry_is_renewed_before_use() -> None:
    sim = D365Simulator(token_ttl_seconds=200)  # msal renews tokens with under 5 minutes left
    with make_client().open(sim.transport()) as api:
        for _ in range(3):
            api.read_all("JournalNames")
    assert api.token_requests == 3
    assert [r.status for r in sim.log if r.path == "/data/JournalNames"] == [200, 200, 200]


def test_certificate_credential_gets_a_token(sim: D365Simulator) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hl-d365 poster")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    sim.register_client(
        "cert-app", certificate_pem=certificate.public_bytes(serialization.Encoding.PEM)
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    client = make_client(
        client_id="cert-app",
        client_secret=None,
        certificate_private_key=private_pem,
        certificate_thumbprint=certificate.fingerprint(hashes.SHA1()).hex(),
    )
    with client.open(sim.transport()) as api:
        assert api.count("CustomersV3") == 36


def test_wrong_secret_names_tenant_and_client_but_not_the_secret(sim: D365Simulator) -> None:
    with (
        make_client(client_secret="not-the-secret").open(sim.transport()) as api,
        pytest.raises(D365AuthError) as refused,
    ):
        api.read_all("JournalNames")

    message = str(refused.value)
    assert SANDBOX_TENANT_ID in message and SANDBOX_CLIENT_ID in message
    assert "invalid_client: AADSTS7000215: Invalid client secret provided" in message
    assert "not-the-secret" not in message
    assert sim.request_count(path="/data/") == 0


def test_unknown_tenant_is_an_auth_error(sim: D365Simulator) -> None:
    with (
        make_client(tenant_id="contoso.onmicrosoft.com").open(sim.transport()) as api,
        pytest.raises(D365AuthError, match=r"does not know tenant 'contoso\.onmicrosoft\.com'"),
    ):
        api.read_all("JournalNames")


def test_token_endpoint_down_is_a_clear_error_after_the_retries(
    sim: D365Simulator, api: D365Api, sleeps: list[float]
) -> None:
    sim.faults.token_endpoint_down()

    with pytest.raises(D365Unavailable) as down:
        api.read_all("JournalNames")

    assert f"tenant {SANDBOX_TENANT_ID!r}" in str(down.value)
    assert f"client id {SANDBOX_CLIENT_ID!r}" in str(down.value)
    assert len(sleeps) == 3  # four tries at the first Entra ID request
    assert sim.request_count(path="/data/") == 0


def test_expired_token_mid_run_is_renewed_once_and_the_pull_continues(
    sim: D365Simulator, api: D365Api
) -> None:
    sim.page_size = 10
    pages = api.iter_pages("CustomersV3")
    rows = list(next(pages))
    sim.expire_tokens()  # e.g. revoked, or a clock skew: D365 answers 401

    rows += [row for page in pages for row in page]

    assert len({row["CustomerAccount"] for row in rows}) == 36
    assert api.token_requests == 2
    assert [r.status for r in sim.log if r.path == "/data/CustomersV3"] == [200, 401, 200, 200, 200]


def test_a_fresh_token_refused_again_is_an_auth_error(sim: D365Simulator, api: D365Api) -> None:
    sim.faults.reject_tokens()
    with pytest.raises(D365AuthError, match="again with a fresh token"):
        api.read_all("JournalNames")
    assert api.token_requests == 2


# -- reads --------------------------------------------------------------------------------------


def test_paging_follows_next_link_across_pages(sim: D365Simulator, api: D365Api) -> None:
    sim.page_size = 7

    pages = list(
        api.iter_pages(
            "CustomersV3", filter="SalesCurrencyCode eq 'USD'", orderby="CustomerAccount desc"
        )
    )

    assert [len(page) for page in pages] == [7, 7, 7, 7]
    accounts = [row["CustomerAccount"] for page in pages for row in page]
    assert accounts == sorted(accounts, reverse=True) and len(set(accounts)) == 28
    assert sim.request_count("GET", "/data/CustomersV3") == 4


def test_client_page_size_is_sent_as_prefer(sim: D365Simulator) -> None:
    with make_client(page_size=100).open(sim.transport()) as api:
        pages = list(api.iter_pages("ReleasedProductsV2", select=["ItemNumber"]))
    assert [len(page) for page in pages] == [100, 100, 100, 100, 82]  # the seed's 482 products
    assert set(pages[0][0]) == {"ItemNumber"}


def test_cross_company_reads_and_the_legal_entity_filter(api: D365Api) -> None:
    api.create("LedgerJournalHeaders", header("usrt journal", "usrt"))
    api.create(
        "LedgerJournalHeaders", header("dat journal", "DAT")
    )  # companies come back lower-case

    everywhere = api.read_all("LedgerJournalHeaders")
    default_only = api.read_all("LedgerJournalHeaders", cross_company=False)
    dat_only = api.read_all(
        "LedgerJournalHeaders",
        legal_entity="dat",
        filter="IsPosted eq Microsoft.Dynamics.DataEntities.NoYes'No'",
    )

    assert sorted(h["dataAreaId"] for h in everywhere) == ["dat", "usrt"]
    assert [h["Description"] for h in default_only] == ["usrt journal"]
    assert [h["Description"] for h in dat_only] == ["dat journal"]


def test_get_by_key_and_decimal_amounts(api: D365Api) -> None:
    order = api.get("SalesOrderHeadersV2", {"dataAreaId": "usrt", "SalesOrderNumber": "SO-000001"})
    assert order["OrderTotalAmount"] == Decimal("1227.12")
    assert isinstance(order["OrderTotalTaxAmount"], Decimal)


# -- journals -----------------------------------------------------------------------------------


def test_journal_header_and_lines_are_created_and_read_back(
    sim: D365Simulator, api: D365Api
) -> None:
    journal = create_journal(api, header(), BALANCED)

    assert journal.journal_batch_number == "00001" and not journal.adopted
    assert [line["LineNumber"] for line in journal.lines] == [1, 2, 3]
    read_back = journal_lines(api, journal.kind, "usrt", "00001")
    assert [(r["AccountDisplayValue"], r["DebitAmount"], r["CreditAmount"]) for r in read_back] == [
        ("112100-001-RETAIL", Decimal("1234.56"), 0),
        ("618100-001-RETAIL", Decimal("27.15"), 0),
        ("401100-001-RETAIL", 0, Decimal("1261.71")),
    ]
    stored = api.get("LedgerJournalHeaders", {"dataAreaId": "usrt", "JournalBatchNumber": "00001"})
    assert stored["JournalTotalDebit"] == stored["JournalTotalCredit"] == Decimal("1261.71")
    assert sim.request_count("POST", "/data/$batch") == 1 and sim.batch_operations == 3
    assert sim.validate_journal("usrt", "00001") == []


def test_idempotency_key_in_description_finds_the_journal(api: D365Api) -> None:
    key = "HLD365:usrt:GJ:2026-11-20:3f2a9c"
    create_journal(api, header(key), BALANCED)

    found = api.read_all(
        "LedgerJournalHeaders", filter=f"Description eq '{key}'", legal_entity="usrt"
    )

    assert [h["JournalBatchNumber"] for h in found] == ["00001"]


def test_changeset_rejected_part_way_leaves_nothing_behind(
    sim: D365Simulator, api: D365Api
) -> None:
    sim.faults.reject_changeset(at_operation=2, message="Simulated: the second line is refused.")

    with pytest.raises(D365ValidationError) as rejected:
        create_journal(api, header(), BALANCED)

    error = rejected.value
    assert error.journal_batch_number == "00001" and error.header_deleted is True
    assert error.entity_set == "LedgerJournalLines" and error.line_number == 2
    assert (
        "Content-ID 2 (POST LedgerJournalLines(dataAreaId='usrt',JournalBatchNumber='00001',LineNumber=2))"
        in str(error)
    )
    assert "Infolog: Warning: Simulated: the second line is refused." in str(error)
    assert "AxODataWriteException" in error.body  # the raw body, for ops.quarantine
    assert sim.journals() == []


@pytest.mark.parametrize(
    ("lines", "d365_says"),
    [
        ([journal_line("999999-001", debit="1")], "Main account 999999 does not exist"),
        (
            [journal_line("401100-042-RETAIL", debit="1")],
            "Value 042 does not exist for financial dimension BusinessUnit",
        ),
        (
            [journal_line("401100-001-WHOLESALE", debit="1")],
            "Value WHOLESALE does not exist for financial dimension Department",
        ),
        (
            [journal_line("112100", debit="1", TransDate="2026-10-31")],
            "is in a ledger period that is closed",
        ),
        ([journal_line("112100", debit="1", TransDate=None)], "Field 'Date' must be filled in."),
        (
            [journal_line("112100", debit="1", CurrencyCode="")],
            "Field 'Currency' must be filled in.",
        ),
    ],
)
def test_d365_refusals_are_validation_errors_with_d365s_text(
    sim: D365Simulator, api: D365Api, sleeps: list[float], lines: list[dict], d365_says: str
) -> None:
    sim.close_period("usrt", "2026-10")
    lines = [{k: v for k, v in line.items() if v is not None} for line in lines]

    with pytest.raises(D365ValidationError) as refused:
        create_journal(api, header(), lines)

    assert d365_says in str(refused.value)
    assert (
        "Write failed for table row of type 'LedgerJournalLineEntity'" in refused.value.d365_message
    )
    assert sleeps == []  # permanent: not retried
    assert sim.journals() == []


def test_header_without_journal_name_or_in_an_unknown_company_is_refused(api: D365Api) -> None:
    with pytest.raises(D365ValidationError, match=r"Field 'Name' must be filled in\."):
        api.create("LedgerJournalHeaders", {"dataAreaId": "usrt", "Description": "x"})
    with pytest.raises(D365ValidationError, match=r"Company 'zz99' does not exist\.") as refused:
        create_journal(api, header(company="zz99"), BALANCED)
    assert refused.value.status == 400 and refused.value.entity_set == "LedgerJournalHeaders"


def test_customer_payment_journal_settles_against_a_sales_order(
    sim: D365Simulator, api: D365Api
) -> None:
    journal = create_journal(
        api,
        {"dataAreaId": "usrt", "JournalName": "CustPay", "Description": "HLD365:usrt:CP:2026-11-20:01"},
        [{
            "AccountType": "Cust", "AccountDisplayValue": "US\\-024", "CreditAmount": Decimal("1227.12"),
            "CurrencyCode": "USD", "TransactionDate": DAY, "PaymentReference": "SO-000001",
            "TransactionText": "Heartland card payment", "OffsetAccountType": "Ledger",
            "OffsetAccountDisplayValue": "112100-001-RETAIL",
        }],
        kind=CUSTOMER_PAYMENT_JOURNAL,
    )  # fmt: skip
    assert journal.lines[0]["CustomerName"] == "Westbrook Architects"
    assert (
        sim.journals(header_set="CustomerPaymentJournalHeaders")[0]["JournalBatchNumber"] == "00001"
    )


def test_batch_reports_every_changeset(api: D365Api) -> None:
    created = api.create("LedgerJournalHeaders", header())
    number = created["JournalBatchNumber"]

    def op(account: str, line_number: int) -> BatchOperation:
        body = {
            **journal_line(account, debit="5"),
            "dataAreaId": "usrt",
            "JournalBatchNumber": number,
            "LineNumber": line_number,
        }
        return BatchOperation("POST", "LedgerJournalLines", body)

    good, bad = api.batch([[op("112100", 1)], [op("112100", 2), op("000000", 3)]])

    assert good.ok and good.results[0].status == 201
    assert not bad.ok and "Main account 000000 does not exist" in str(bad.error)
    assert [line["LineNumber"] for line in journal_lines(api, GENERAL_JOURNAL, "usrt", number)] == [
        1
    ]


def test_write_failure_answered_500_is_still_permanent(sleeps: list[float]) -> None:
    sim = D365Simulator(write_error_status=500)  # as in the 2020 changeset capture
    with (
        make_client().open(sim.transport(), sleep=sleeps.append) as api,
        pytest.raises(D365ValidationError) as refused,
    ):
        create_journal(api, header(), [journal_line("999999", debit="1")])
    assert refused.value.status == 500 and sleeps == []


# -- retries ------------------------------------------------------------------------------------


def test_throttling_storm_waits_retry_after_then_succeeds(
    sim: D365Simulator, api: D365Api, sleeps: list[float]
) -> None:
    sim.faults.throttle(times=3, retry_after=2)

    journal = create_journal(api, header(), BALANCED)

    assert journal.journal_batch_number == "00001"
    assert len(sleeps) == 3 and all(wait >= 2 for wait in sleeps)
    assert sim.request_count("POST", "/data/LedgerJournalHeaders") == 4
    assert len(sim.journals()) == 1


def test_server_errors_then_success(sim: D365Simulator, api: D365Api, sleeps: list[float]) -> None:
    sim.faults.fail(times=1, status=500, path="/data/CustomersV3")
    sim.faults.fail(times=1, status=503, path="/data/CustomersV3")
    sim.faults.fail(times=2, status=503, path="/data/$batch")

    assert len(api.read_all("CustomersV3")) == 36
    journal = create_journal(api, header(), BALANCED)

    assert len(journal.lines) == 3 and len(sleeps) == 4
    assert len(sim.journals()[0]["lines"]) == 3


def test_retries_give_up_with_the_last_failure(
    sim: D365Simulator, api: D365Api, sleeps: list[float]
) -> None:
    sim.faults.fail(times=None, status=503)
    with pytest.raises(
        D365Unavailable,
        match=r"GET /data/JournalNames.* failed after 4 attempts; last failure: HTTP 503",
    ):
        api.read_all("JournalNames")
    assert len(sleeps) == 3


def test_a_write_without_answer_is_not_repeated_blindly(sim: D365Simulator, api: D365Api) -> None:
    sim.faults.drop(times=1, path="/data/LedgerJournalHeaders")
    with pytest.raises(D365OutcomeUnknown, match="may have applied it"):
        api.create("LedgerJournalHeaders", header())
    assert sim.request_count("POST", "/data/LedgerJournalHeaders") == 1


# -- over loopback ------------------------------------------------------------------------------


@pytest.fixture
def server(sim: D365Simulator):
    with serve(sim) as running:
        yield running


def loopback_client(url: str, **overrides) -> D365Client:
    # msal needs an https authority: it stays the real one, the adapter routes to the server
    return make_client(environment_url=url, identity_url_override=url, **overrides)


def test_same_client_code_works_over_loopback(sim: D365Simulator, server) -> None:
    sim.environment_url = server.base_url
    with loopback_client(server.base_url).open() as api:
        journal = create_journal(api, header(), BALANCED)
        pages = list(api.iter_pages("ReleasedProductsV2", top=25))

    assert journal.journal_batch_number == "00001" and len(journal.lines) == 3
    assert sum(map(len, pages)) == 25
    assert sim.request_count("POST", TOKEN_PATH) == 1


def test_timeouts_are_retried_for_reads(sim: D365Simulator, server, sleeps: list[float]) -> None:
    sim.environment_url = server.base_url
    sim.faults.slow(seconds=2, times=1, path="/data/JournalNames")
    with loopback_client(server.base_url, timeout_seconds=0.3).open(sleep=sleeps.append) as api:
        names = api.read_all("JournalNames")
    sim.faults.release_slow()
    assert len(names) == len(read_seed()["JournalNames"]) and len(sleeps) == 1


def test_unanswered_journal_writes_are_resolved_by_looking_not_by_writing_twice(
    sim: D365Simulator, server, sleeps: list[float]
) -> None:
    sim.environment_url = server.base_url
    sim.faults.slow(seconds=2, times=1, path="/data/LedgerJournalHeaders")  # applied, answered late
    sim.faults.slow(seconds=2, times=1, path="/data/$batch")

    with loopback_client(server.base_url, timeout_seconds=0.3).open(sleep=sleeps.append) as api:
        journal = create_journal(api, header(), BALANCED)
    sim.faults.release_slow()

    assert journal.adopted and len(journal.lines) == 3
    [stored] = sim.journals()
    assert len(stored["lines"]) == 3
    assert sim.request_count("POST", "/data/LedgerJournalHeaders") == 1
    assert sim.request_count("POST", "/data/$batch") == 1
