"""The README's filing walkthrough through a client generated from the
OpenAPI description (scripts/client-walkthrough.sh generates it as the
package `client`). Only the generated models and functions are used: the
example claim is read into the generated `ClaimDraft` model, and every
answer is parsed into the generated types, so a description that does not
match what the server sends fails here.
"""

import argparse
import json
import re
import sys
from pathlib import Path

from client import AuthenticatedClient
from client.api.accounts import me
from client.api.register import (
    claims_create,
    claims_decision_decide,
    claims_evidence_upload,
    claims_read,
    history,
    start_review,
    submit,
)
from client.models import (
    ClaimantView,
    ClaimDecide,
    ClaimDraft,
    ClaimView,
    EvidenceReceipt,
    EvidenceUpload,
    HistoryPage,
    Outcome,
)
from client.types import File


def expect(answer, kind, what):
    """The parsed answer of a call, which must be of the generated type."""
    if answer.status_code >= 300 or not isinstance(answer.parsed, kind):
        sys.exit(f"{what}: HTTP {int(answer.status_code)} {answer.content[:500]!r}")
    return answer.parsed


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--base-url", required=True)
    args.add_argument("--token", required=True, help="a claimant's token")
    args.add_argument("--registrar-token", required=True)
    args.add_argument("--board-token", required=True)
    args.add_argument("--claim", required=True, type=Path)
    args.add_argument("--evidence", required=True, type=Path)
    args = args.parse_args()

    client = AuthenticatedClient(base_url=args.base_url, token=args.token, raise_on_unexpected_status=True)
    with client:
        account = me.sync_detailed(client=client)
        assert account.status_code == 200, account.content
        assert "claimant" in [str(r) for r in account.parsed.roles], account.parsed

        # The example claim, as the generated model reads it.
        draft = ClaimDraft.from_dict(json.loads(args.claim.read_text(encoding="utf-8")))
        assert draft.losses[0].amount.currency == "EUR", draft.losses[0]

        filed = expect(
            claims_create.sync_detailed(client=client, body=draft, idempotency_key="walkthrough-claim"),
            ClaimantView,
            "POST /v1/claims",
        )
        assert str(filed.status) == "draft", filed.status
        assert filed.reference is None, filed.reference
        assert filed.claim.category == "A3.1", filed.claim.category
        assert filed.totals[0].amount == "85000.00" and filed.totals[0].currency == "EUR", filed.totals
        print(f"filed draft {filed.id}")

        with args.evidence.open("rb") as deed:
            upload = EvidenceUpload(file=File(payload=deed, file_name="deed.pdf", mime_type="application/pdf"))
            receipt = expect(
                claims_evidence_upload.sync_detailed(filed.id, client=client, body=upload),
                EvidenceReceipt,
                "POST /v1/claims/{id}/evidence",
            )
        assert len(receipt.sha256) == 64, receipt.sha256
        print(f"uploaded evidence {receipt.sha256}")

        submitted = expect(
            submit.sync_detailed(filed.id, client=client, idempotency_key="walkthrough-submit"),
            ClaimantView,
            "POST /v1/claims/{id}/submit",
        )
        assert str(submitted.status) == "submitted", submitted.status
        assert re.fullmatch(r"RD-\d{4}-\d{7}", submitted.reference or ""), submitted.reference

        read = expect(claims_read.sync_detailed(filed.id, client=client), ClaimantView, "GET /v1/claims/{id}")
        assert read.id == filed.id, read.id
        assert str(read.status) == "submitted", read.status
        assert read.reference == submitted.reference, (read.reference, submitted.reference)
        assert read.claim.losses[0].amount.amount == "85000.00", read.claim.losses
        print(f"submitted and read back {read.reference} ({read.status})")

    # The secretariat takes it up; the Board records it, with If-Match the
    # claim's current ETag as the server gave it.
    registrar = AuthenticatedClient(base_url=args.base_url, token=args.registrar_token)
    with registrar:
        reviewed = expect(start_review.sync_detailed(filed.id, client=registrar), ClaimView, "POST /v1/claims/{id}/review")
        assert str(reviewed.status) == "under_review", reviewed.status
    board = AuthenticatedClient(base_url=args.base_url, token=args.board_token)
    with board:
        current = claims_read.sync_detailed(filed.id, client=board)
        expect(current, ClaimView, "GET /v1/claims/{id} (Board)")
        etag = current.headers["etag"]
        decision = ClaimDecide(outcome=Outcome.RECORDED, reasons="Meets the criteria.")
        recorded = expect(
            claims_decision_decide.sync_detailed(filed.id, client=board, body=decision, if_match=etag),
            ClaimView,
            "POST /v1/claims/{id}/decision",
        )
        assert str(recorded.status) == "recorded", recorded.status
        assert str(recorded.decision.outcome) == "recorded", recorded.decision
    client = AuthenticatedClient(base_url=args.base_url, token=args.token)
    with client:
        steps = expect(history.sync_detailed(filed.id, client=client), HistoryPage, "GET /v1/claims/{id}/history")
        assert "recorded" in [str(s.to) for s in steps.items], steps.items
        mine = expect(claims_read.sync_detailed(filed.id, client=client), ClaimantView, "GET /v1/claims/{id}")
        assert str(mine.status) == "recorded" and mine.decision.reasons == "Meets the criteria.", mine.decision
        print(f"recorded {mine.reference} by the Board")


if __name__ == "__main__":
    main()
