namespace Realtime.Relay.Infrastructure;

/// <summary>
/// The problem+json answers an action gives besides those every route of its kind gives (401/403
/// for authenticated routes, 400 for bodies, 413): the OpenAPI document lists them
/// (<see cref="OpenApi.ProblemResponsesTransformer"/>) and the contract test holds the relay to them.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class ProducesProblemAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;
}
