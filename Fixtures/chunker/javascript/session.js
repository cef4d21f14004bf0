import { hash } from "./crypto.js";

const MAX_ATTEMPTS = 5;

/**
 * Opens a session for a verified user.
 */
export async function openSession(user, store) {
  const id = await hash(user.name + Date.now());
  store.set(id, user);
  return id;
}

export const closeSession = async (id, store) => {
  store.delete(id);
};

const isExpired = function (session, now) {
  return session.expires < now;
};

export default class SessionManager extends EventEmitter {
  static instances = 0;
  timeout = 30;

  constructor(store) {
    super();
    this.store = store;
  }

  // Arrow class field keeps `this` bound.
  onExpire = (id) => {
    this.emit("expire", id);
  };

  @logged
  async refresh(id) {
    const session = this.store.get(id);
    session.expires = Date.now() + this.timeout;
  }

  get size() {
    return this.store.size;
  }
}

export const handlers = {
  login(req, res) {
    res.send(openSession(req.user));
  },
  logout: (req, res) => {
    res.end();
  },
};

module.exports.legacyLogin = function (req) {
  return handlers.login(req, null);
};

function* ids() {
  let i = 0;
  while (true) yield i++;
}

setInterval(() => console.log("tick"), 1000);

module.exports = {
  refreshAll(manager) {
    return manager.refresh("*");
  },
  SessionManager,
};
