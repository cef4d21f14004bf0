//! Request routing for the HTTP server.

use std::collections::HashMap;
use std::fmt;

/// A route table keyed by method and path.
#[derive(Debug, Default)]
pub struct Router {
    routes: HashMap<(Method, String), Handler>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

pub type Handler = fn(&Request) -> Response;

impl Router {
    /// Creates an empty router.
    pub fn new() -> Self {
        Router { routes: HashMap::new() }
    }

    /// Finds the handler for a request, or answers 404.
    #[inline]
    pub fn route(&self, request: &Request) -> Response {
        match self.routes.get(&(request.method, request.path.clone())) {
            Some(handler) => handler(request),
            None => Response::not_found(),
        }
    }
}

impl fmt::Display for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} routes", self.routes.len())
    }
}

/// Something that can be retried with a backoff.
pub trait Retry {
    fn attempts(&self) -> u32;

    fn backoff(&self, attempt: u32) -> u64 {
        100 * 2u64.pow(attempt)
    }
}

mod tests {
    use super::*;

    #[test]
    fn empty_router_answers_not_found() {
        let router = Router::new();
        assert_eq!(router.route(&Request::get("/")).status, 404);
    }
}

macro_rules! route {
    ($router:expr, $path:expr) => {
        $router.route(&Request::get($path))
    };
}
