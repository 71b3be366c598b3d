namespace Realtime.Relay.Inbox;

public static class InboxDepth
{
    /// <summary>Events stored and not yet acknowledged: what the client would receive on its next read.</summary>
    public static long Depth(this InboxState state) => Math.Max(0, state.LastSeq - Math.Max(state.AckedSeq, state.FirstSeq - 1));
}
