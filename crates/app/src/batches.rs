//! Mass-claims batches: selection, assessment as a background job, the sample review, release.
