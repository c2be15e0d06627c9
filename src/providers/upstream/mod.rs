//! The provider side: one folder per wire format the gateway translates to
//! and from (`openai_compat` forwards the OpenAI format as it is). Each
//! builds the provider's requests from the internal model
//! (`providers::model`), reads its answers, streams and errors back into it.
//! The translated folders and their dispatch come from the registration
//! list in `core::wire_formats`.

use crate::catalog::AdapterKind;
use crate::providers::adapter::ChatAdapter;

pub mod openai_compat;

/// Declares each translated format's folder and dispatches to its adapter.
macro_rules! declare_upstream {
    (forwarded: [$($f:ident $fname:literal),*], translated: [$($t:ident $tname:literal $module:ident :: $ty:ident),* $(,)?] $(,)?) => {
        $(pub mod $module;)*

        /// The translating adapter for a wire format; `None` for formats the
        /// gateway forwards as they are.
        pub fn adapter(kind: AdapterKind) -> Option<&'static dyn ChatAdapter> {
            match kind {
                $(AdapterKind::$t => Some(&$module::$ty),)*
                $(AdapterKind::$f)|* => None,
            }
        }
    };
}

crate::with_wire_formats!(declare_upstream);
