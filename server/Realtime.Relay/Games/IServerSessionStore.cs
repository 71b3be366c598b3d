namespace Realtime.Relay.Games;

/// <summary>What <see cref="IServerSessionStore.RegisterAsync"/> did.</summary>
public enum SessionRegistration
{
    Started,
    /// <summary>The job had a live session: its tokens were revoked and replaced, its inbox kept.</summary>
    Replaced,
    /// <summary>Refused: the game has its most live sessions and this job is not one of them.</summary>
    TooManySessions,
}

/// <summary>
/// The storage seam for live game-server sessions (docs/storage.md). A session is its record,
/// its token hash and its inbox: registering and ending change all three in ONE atomic
/// operation, so no reader ever sees a session without its inbox or a token without its session.
/// </summary>
public interface IServerSessionStore
{
    /// <summary>
    /// One atomic operation: unless refused (<see cref="SessionRegistration.TooManySessions"/>),
    /// writes <paramref name="session"/> (replacing the job's previous one), revokes the job's
    /// tokens, stores <paramref name="tokenHash"/> for it and opens its inbox if not open.
    /// </summary>
    Task<SessionRegistration> RegisterAsync(SessionRecord session, string tokenHash, int maxSessionsPerGame);

    /// <summary>
    /// One atomic operation: deletes the session, revokes its tokens and closes its inbox. With
    /// <paramref name="onlyIfSilentBefore"/>, only when it was last seen before then (a session
    /// that called meanwhile stays). False when nothing was ended.
    /// </summary>
    Task<bool> EndAsync(string sessionId, DateTime? onlyIfSilentBefore = null);

    Task<SessionRecord?> FindAsync(string sessionId);

    /// <summary>The live sessions of exactly this game, oldest first.</summary>
    Task<IReadOnlyList<SessionRecord>> OfGameAsync(string gameId);

    /// <summary>Sessions last seen before <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<SessionRecord>> SilentSinceAsync(DateTime cutoff);

    /// <summary>Moves last-seen times forward (never back) in one operation; unknown sessions are skipped.</summary>
    Task TouchAsync(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen);
}
