//! The browser side of the bridge (issue 6): sign-in flows, role chooser, console and
//! federation pages. Handlers stay thin and call `sts` like the query API does.

pub mod saml_flow;
