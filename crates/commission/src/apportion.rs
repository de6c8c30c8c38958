//! Rounding shares so that they add up.
//!
//! When an amount is divided pro rata (a family cap, a short payment tier, a
//! payment to heirs), each exact share is rounded *down* to the minor unit and
//! the minor units left over are handed out one at a time, largest remainder
//! first (Hamilton's method). Ties go to the earlier position, so callers put
//! parties in a stable order (by id) first. The parts never add up to more
//! than the target, and no part ever exceeds its exact share by a whole unit,
//! so a share bounded by a balance that is itself a whole number of minor
//! units never exceeds that balance.

use rust_decimal::{Decimal, RoundingStrategy};

/// The value of one minor unit: 0.01 for two decimal places.
pub(crate) fn minor_unit(minor_units: u32) -> Decimal {
    Decimal::new(1, minor_units)
}

pub(crate) fn floor_to(amount: Decimal, minor_units: u32) -> Decimal {
    amount.round_dp_with_strategy(minor_units, RoundingStrategy::ToZero)
}

/// Whether `amount` is a whole number of minor units.
pub(crate) fn is_whole_minor(amount: Decimal, minor_units: u32) -> bool {
    amount.normalize().scale() <= minor_units
}

/// Shares of `target` proportional to `weights`, each rounded to the minor
/// unit with the largest-remainder method. `target` must be a whole number of
/// minor units; weights must be non-negative. When `target` is at most the
/// sum of the weights (a budget shared against needs), no share exceeds its
/// weight. Returns `None` on arithmetic overflow.
pub(crate) fn pro_rata(
    weights: &[Decimal],
    target: Decimal,
    minor_units: u32,
) -> Option<Vec<Decimal>> {
    let total = weights
        .iter()
        .try_fold(Decimal::ZERO, |acc, w| acc.checked_add(*w))?;
    if total.is_zero() {
        return Some(vec![Decimal::ZERO; weights.len()]);
    }
    let exact = weights
        .iter()
        .map(|w| {
            // Multiply first so the only rounding is the division's, and keep
            // each share within its weight whatever that rounding does.
            let share = w.checked_mul(target)?.checked_div(total)?;
            Some(if target <= total {
                share.min(*w)
            } else {
                share
            })
        })
        .collect::<Option<Vec<_>>>()?;
    largest_remainder(&exact, target, minor_units)
}

/// Rounds exact shares to the minor unit so they add up to `target` (or as
/// close below it as the shares allow).
pub(crate) fn largest_remainder(
    exact: &[Decimal],
    target: Decimal,
    minor_units: u32,
) -> Option<Vec<Decimal>> {
    let unit = minor_unit(minor_units);
    let mut parts: Vec<Decimal> = exact.iter().map(|e| floor_to(*e, minor_units)).collect();
    let floored = parts
        .iter()
        .try_fold(Decimal::ZERO, |acc, p| acc.checked_add(*p))?;
    let left = floor_to(target.checked_sub(floored)?, minor_units);
    if left <= Decimal::ZERO {
        return Some(parts);
    }
    let mut units_left = left.checked_div(unit)?;
    let mut order: Vec<usize> = (0..exact.len()).filter(|&i| exact[i] > parts[i]).collect();
    // Stable sort: equal remainders keep their positions, earlier first.
    order.sort_by(|&a, &b| (exact[b] - parts[b]).cmp(&(exact[a] - parts[a])));
    for i in order {
        if units_left <= Decimal::ZERO {
            break;
        }
        parts[i] = parts[i].checked_add(unit)?;
        units_left -= Decimal::ONE;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn thirds_of_a_hundred_go_to_the_first_on_a_tie() {
        let parts = pro_rata(&[dec!(1), dec!(1), dec!(1)], dec!(100), 2).unwrap();
        assert_eq!(parts, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
    }

    #[test]
    fn largest_remainder_wins_the_spare_unit() {
        let parts =
            largest_remainder(&[dec!(1.004), dec!(1.008), dec!(0.988)], dec!(3), 2).unwrap();
        assert_eq!(parts, vec![dec!(1.00), dec!(1.01), dec!(0.99)]);
    }

    #[test]
    fn zero_weights_get_nothing() {
        assert_eq!(
            pro_rata(&[dec!(0), dec!(0)], dec!(0), 2).unwrap(),
            vec![dec!(0), dec!(0)]
        );
        let parts = pro_rata(&[dec!(0), dec!(5)], dec!(3), 2).unwrap();
        assert_eq!(parts, vec![dec!(0), dec!(3)]);
    }
}
