package com.example.auth;

import java.util.HashMap;
import java.util.Map;

/**
 * Handles logins and keeps failed-attempt counters.
 */
@Controller
public class LoginController extends BaseController implements Auditable {
    private static final int MAX_ATTEMPTS = 5;
    private final Map<String, Integer> attempts = new HashMap<>();

    public LoginController(SessionStore store) {
        super(store);
    }

    /** Checks the credentials and opens a session. */
    @PostMapping("/login")
    public Response login(Request request) {
        String user = request.param("user");
        if (attempts.getOrDefault(user, 0) >= MAX_ATTEMPTS) {
            return Response.forbidden();
        }
        Runnable audit = new Runnable() {
            @Override
            public void run() {
                log(user);
            }
        };
        audit.run();
        return Response.ok();
    }

    // Resets the counter for one user.
    void reset(String user) {
        attempts.remove(user);
    }

    static class Attempt {
        final String user;
        Attempt(String user) { this.user = user; }
    }

    enum Outcome {
        SUCCESS, LOCKED, FAILED;

        boolean isFailure() { return this != SUCCESS; }
    }
}

interface Auditable {
    void audit(String event);

    default String name() { return getClass().getSimpleName(); }
}

record Session(String id, String user) {
    Session {
        if (id == null) throw new IllegalArgumentException("id");
    }
}
