#include <map>
#include <string>

namespace auth {

// A session owned by one user.
struct Session {
    std::string id;
    int user = 0;
};

class SessionStore {
public:
    explicit SessionStore(int ttl) : ttl_(ttl) {}
    ~SessionStore();

    // Opens a session and returns its id.
    std::string open(int user);

    bool contains(const std::string& id) const {
        return sessions_.count(id) > 0;
    }

private:
    int ttl_;
    std::map<std::string, Session> sessions_;
};

template <typename T>
T clamp(T value, T low, T high) {
    return value < low ? low : (value > high ? high : value);
}

template <typename K, typename V>
class Cache {
public:
    V* find(const K& key);
};

namespace detail {
inline int next_id() {
    static int id = 0;
    return ++id;
}
}  // namespace detail

SessionStore::~SessionStore() = default;

std::string SessionStore::open(int user) {
    Session s{std::to_string(detail::next_id()), user};
    sessions_[s.id] = s;
    return s.id;
}

template <typename K, typename V>
V* Cache<K, V>::find(const K& key) {
    return nullptr;
}

}  // namespace auth

int main() {
    auth::SessionStore store(60);
    return store.open(1).empty();
}
