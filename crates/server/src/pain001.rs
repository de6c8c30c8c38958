//! ISO 20022 customer credit-transfer initiation (`pain.001.001.09`), written
//! from the payment file a use case hands over as plain data.
//!
//! One group header and one payment information block (one debtor account,
//! one currency, one requested execution date) with one credit transfer per
//! payee and award. Amounts carry the currency's minor unit of places; the
//! control sums are the exact sums of the amounts written. Texts are cut
//! to the schema's lengths (`Max140Text`, `Max35Text`) at character
//! boundaries and stripped of control characters XML cannot carry; the
//! writer escapes the rest. The schema in `scripts/validate-pain001.sh`
//! checks the result in CI.

use app::awards::PaymentFile;
use kernel::Money;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;

pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
pub const MEDIA_TYPE: &str = "application/xml";

/// At most `max` characters of `text`, without characters XML 1.0 cannot
/// carry.
fn text(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn amount(m: &Money) -> String {
    m.amount_text()
}

fn leaf<W: io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn agent<W: io::Write>(w: &mut Writer<W>, name: &str, bic: &str) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("FinInstnId")
            .write_inner_content(|w| leaf(w, "BICFI", bic))?;
        Ok(())
    })?;
    Ok(())
}

fn account<W: io::Write>(w: &mut Writer<W>, name: &str, iban: &str) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("Id")
            .write_inner_content(|w| leaf(w, "IBAN", iban))?;
        Ok(())
    })?;
    Ok(())
}

fn party<W: io::Write>(w: &mut Writer<W>, element: &str, name: &str) -> io::Result<()> {
    w.create_element(element)
        .write_inner_content(|w| leaf(w, "Nm", &text(name, 140)))?;
    Ok(())
}

/// The file's bytes (UTF-8).
pub fn write(file: &PaymentFile) -> io::Result<Vec<u8>> {
    let plan = &file.plan;
    let count = plan.transfers.len().to_string();
    let control_sum = amount(&plan.control_sum);
    let created = file
        .created_at
        .replace_nanosecond(0)
        .unwrap_or(file.created_at)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(io::Error::other)?;
    let execution = file
        .execution_date
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(io::Error::other)?;
    let currency = plan.currency.code();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("CstmrCdtTrfInitn")
                .write_inner_content(|w| {
                    w.create_element("GrpHdr").write_inner_content(|w| {
                        leaf(w, "MsgId", &file.message_id)?;
                        leaf(w, "CreDtTm", &created)?;
                        leaf(w, "NbOfTxs", &count)?;
                        leaf(w, "CtrlSum", &control_sum)?;
                        party(w, "InitgPty", &file.debtor.name)
                    })?;
                    w.create_element("PmtInf").write_inner_content(|w| {
                        leaf(w, "PmtInfId", &file.message_id)?;
                        leaf(w, "PmtMtd", "TRF")?;
                        leaf(w, "NbOfTxs", &count)?;
                        leaf(w, "CtrlSum", &control_sum)?;
                        w.create_element("ReqdExctnDt")
                            .write_inner_content(|w| leaf(w, "Dt", &execution))?;
                        party(w, "Dbtr", &file.debtor.name)?;
                        account(w, "DbtrAcct", file.debtor.account.iban())?;
                        agent(w, "DbtrAgt", file.debtor.account.bic())?;
                        if currency == "EUR" {
                            // SEPA: charges shared by service level.
                            leaf(w, "ChrgBr", "SLEV")?;
                        }
                        for t in &plan.transfers {
                            w.create_element("CdtTrfTxInf").write_inner_content(|w| {
                                w.create_element("PmtId").write_inner_content(|w| {
                                    leaf(w, "EndToEndId", &t.end_to_end_id)
                                })?;
                                w.create_element("Amt").write_inner_content(|w| {
                                    w.create_element("InstdAmt")
                                        .with_attribute(("Ccy", currency))
                                        .write_text_content(BytesText::new(&amount(&t.amount)))?;
                                    Ok(())
                                })?;
                                agent(w, "CdtrAgt", t.account.bic())?;
                                party(w, "Cdtr", &t.creditor)?;
                                account(w, "CdtrAcct", t.account.iban())?;
                                w.create_element("RmtInf").write_inner_content(|w| {
                                    let note = format!(
                                        "Redress award {} payment round {}",
                                        t.award, file.round
                                    );
                                    leaf(w, "Ustrd", &text(&note, 140))
                                })?;
                                Ok(())
                            })?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::awards::Debtor;
    use commission::{AwardId, BankAccount, PaymentRoundId, Transfer, TransferPlan, end_to_end_id};
    use kernel::Currency;
    use rust_decimal::Decimal;

    #[test]
    fn names_are_escaped_and_amounts_and_sums_carry_the_minor_unit() {
        let account = BankAccount::new("DE89370400440532013000", "COBADEFF").unwrap();
        let award = AwardId::new();
        let eur = |a| Money::new(a, Currency::EUR);
        let file = PaymentFile {
            round: PaymentRoundId::new(),
            message_id: "RD0123".into(),
            created_at: time::macros::datetime!(2027-06-01 10:00:00.5 UTC),
            execution_date: time::macros::date!(2027 - 06 - 01),
            debtor: Debtor {
                name: "Claims Commission <Fund>".into(),
                account: account.clone(),
            },
            plan: TransferPlan {
                currency: Currency::EUR,
                transfers: vec![Transfer {
                    award,
                    position: 0,
                    end_to_end_id: end_to_end_id(award, 0),
                    creditor: "Kovalenko & Sons\u{7}".into(),
                    amount: eur(Decimal::from(100)),
                    account,
                }],
                blocked: vec![],
                control_sum: eur(Decimal::from(100)),
                blocked_sum: eur(Decimal::ZERO),
            },
        };
        let xml = String::from_utf8(write(&file).unwrap()).unwrap();
        assert!(xml.contains("<Nm>Kovalenko &amp; Sons</Nm>"), "{xml}");
        assert!(
            xml.contains("<Nm>Claims Commission &lt;Fund&gt;</Nm>"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<InstdAmt Ccy="EUR">100.00</InstdAmt>"#),
            "{xml}"
        );
        assert!(xml.contains("<CtrlSum>100.00</CtrlSum>"), "{xml}");
        assert!(
            xml.contains("<CreDtTm>2027-06-01T10:00:00Z</CreDtTm>"),
            "{xml}"
        );
        assert!(xml.contains(NAMESPACE));
    }
}
