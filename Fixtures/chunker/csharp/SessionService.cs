using System;
using System.Collections.Generic;

namespace Example.Auth
{
    /// <summary>Issues and checks login sessions.</summary>
    [Serializable]
    public class SessionService : ISessionService
    {
        private readonly Dictionary<string, Session> sessions = new();

        public SessionService(TimeSpan timeout)
        {
            Timeout = timeout;
        }

        public TimeSpan Timeout { get; }

        /// <summary>Opens a session for the user.</summary>
        [Obsolete("Use OpenAsync")]
        public string Open(string user)
        {
            var token = Guid.NewGuid().ToString();
            sessions[token] = new Session(user, DateTime.UtcNow);
            return token;
        }

        public int Count
        {
            get { return sessions.Count; }
        }

        ~SessionService()
        {
            sessions.Clear();
        }
    }

    public interface ISessionService
    {
        string Open(string user);
    }

    public record Session(string User, DateTime Created)
    {
        public bool IsExpired(TimeSpan timeout) => DateTime.UtcNow - Created > timeout;
    }

    public struct Token
    {
        public string Value;

        public static bool operator ==(Token a, Token b) => a.Value == b.Value;
        public static bool operator !=(Token a, Token b) => a.Value != b.Value;
    }

    public enum Outcome
    {
        Ok,
        Expired,
    }
}
