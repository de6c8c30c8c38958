//! Money as every door writes it: through `kernel::money::amount_text`, at
//! the currency's minor unit (`"0.00"`, `"68000.00"`). Typed `Money`
//! serializes that way by itself; this module covers the amounts the doors
//! hold as a decimal and a currency code (totals keyed by currency, figures
//! of a weighted condition) and the amounts inside stored JSON (a claim's
//! losses and totals, as the claimant wrote them).

use kernel::Currency;
use kernel::money::{amount_text, parse_amount};
use rust_decimal::Decimal;
use serde_json::Value;

/// `amount` in `code`, at the minor unit when `code` is an ISO 4217
/// currency; any other unit (people, square metres) as the plain decimal.
pub fn text(amount: Decimal, code: &str) -> String {
    Currency::from_code(code).map_or_else(
        |_| amount.normalize().to_string(),
        |c| amount_text(amount, c),
    )
}

/// Rewrites, anywhere in `value`, every `{"amount": "…", "currency": "…"}`
/// whose amount is a plain decimal and whose currency is an ISO 4217 code,
/// so that its amount has the currency's minor unit. Anything else (a draft's
/// half-typed amount, a foreign object) is left as it is.
pub fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let rewritten = match (map.get("amount"), map.get("currency")) {
                (Some(Value::String(a)), Some(Value::String(c))) => parse_amount(a)
                    .zip(Currency::from_code(c).ok())
                    .map(|(d, c)| amount_text(d, c)),
                _ => None,
            };
            if let Some(text) = rewritten {
                map.insert("amount".to_owned(), Value::String(text));
            }
            map.values_mut().for_each(normalize);
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// `value` with its amounts normalized (see [`normalize`]).
pub fn normalized(mut value: Value) -> Value {
    normalize(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_in_stored_json_take_the_minor_unit() {
        let mut v = json!({"losses": [{"amount": {"amount": "85000", "currency": "EUR"}},
            {"amount": {"amount": "12", "currency": "JPY"}},
            {"amount": {"amount": "1.5", "currency": "not"}},
            {"amount": {"amount": "abc", "currency": "EUR"}}]});
        normalize(&mut v);
        assert_eq!(v["losses"][0]["amount"]["amount"], "85000.00");
        assert_eq!(v["losses"][1]["amount"]["amount"], "12");
        assert_eq!(v["losses"][2]["amount"]["amount"], "1.5");
        assert_eq!(v["losses"][3]["amount"]["amount"], "abc");
        assert_eq!(text(Decimal::new(50_000_000, 0), "EUR"), "50000000.00");
        assert_eq!(text(Decimal::new(12_500, 1), "m2"), "1250");
    }
}
