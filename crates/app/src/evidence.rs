//! Evidence files of claims: upload, listing, download.
