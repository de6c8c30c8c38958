//! End-to-end tests of the real `redress` binary: started as a user would,
//! driven over HTTP, stopped with a signal.

#![allow(unreachable_pub, reason = "a test binary exports nothing")]

mod backup;
mod binary;
mod connections;
mod demo;
