using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Support;

/// <summary>An inbox store that hands every call to <paramref name="inner"/>; a test overrides the one call it holds back or watches.</summary>
public abstract class DelegatingInboxStore(IInboxStore inner) : IInboxStore
{
    public virtual bool QueuesAppendsInOrder => inner.QueuesAppendsInOrder;
    public virtual Task<InboxState?> StateOfAsync(string inboxId) => inner.StateOfAsync(inboxId);
    public virtual Task<IReadOnlyList<InboxState>> AllStatesAsync() => inner.AllStatesAsync();
    public virtual Task OpenAsync(RelayClient client) => inner.OpenAsync(client);
    public virtual Task CloseAsync(RelayClient client) => inner.CloseAsync(client);
    public virtual Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e) => inner.AppendAsync(inboxIds, e);
    public virtual Task AcknowledgeAsync(string inboxId, long seq) => inner.AcknowledgeAsync(inboxId, seq);
    public virtual Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels) => inner.SetSubscriptionsAsync(inboxId, channels);
    public virtual Task ExpireAsync() => inner.ExpireAsync();
    public virtual Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit) => inner.ReadAfterAsync(inboxId, after, limit);
}
