#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64

/* A live session: id and owner. */
struct session {
    char id[33];
    int user;
    struct session *next;
};

typedef struct {
    struct session *head;
    size_t count;
} session_table;

enum session_state { SESSION_OPEN, SESSION_CLOSED };

static session_table table;

/*
 * Finds a session by id; NULL when absent.
 */
static struct session *session_find(const char *id)
{
    for (struct session *s = table.head; s; s = s->next) {
        if (strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

// Opens a session for `user`.
int session_open(int user, char *out_id)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->user = user;
    s->next = table.head;
    table.head = s;
    table.count++;
    strcpy(out_id, s->id);
    return 0;
}

#ifdef SESSION_DEBUG
void session_dump(void) {
    printf("%zu sessions\n", table.count);
}
#endif

int (*session_hook)(int) = NULL;
