//! Commission casework: cases, assignment, valuation rules, exchange rates, individual assessment.
