namespace Realtime.Relay.Inbox;

/// <summary>
/// Where a poll or stream resumes, from the cursor the client sent (<c>after</c> or
/// <c>Last-Event-ID</c>). A cursor beyond the inbox's last seq cannot be one the relay handed
/// out for this inbox (a stale cursor of an earlier session, or a forged id): it acknowledges
/// nothing, and the client is told (<c>gap: true</c>) and served from what the inbox still holds
/// unacknowledged, so nothing unread is deleted or skipped.
/// </summary>
/// <param name="From">Read events after this seq.</param>
/// <param name="Acknowledge">Seq to acknowledge up to, or null for nothing.</param>
/// <param name="Ahead">The cursor was beyond the last seq: answer at once with <c>gap: true</c>.</param>
public readonly record struct InboxCursor(long From, long? Acknowledge, bool Ahead)
{
    /// <summary>
    /// <see cref="InboxState.LastSeq"/> is the inbox's high-water mark (it never goes down, even
    /// when acknowledgements and retention have emptied the inbox), so a cursor the relay returned
    /// for this inbox is never beyond it.
    /// </summary>
    public static InboxCursor Resume(InboxState state, long requested)
    {
        if (requested > state.LastSeq) return new InboxCursor(state.AckedSeq, null, Ahead: true);
        return new InboxCursor(requested, requested > state.AckedSeq ? requested : null, Ahead: false);
    }
}
