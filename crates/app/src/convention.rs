//! The ratification tracker: treaty actions, funding, and the convention's standing.
