namespace Conpaas.Domain.Vpn;

/// <summary>
/// The outcome of a VPN allocation: the subnet or address (null when the VPN is disabled),
/// or a <see cref="ErrorCode.VPN_EXHAUSTED"/> refusal.
/// </summary>
public readonly record struct VpnAllocation
{
    private VpnAllocation(string? value, DomainError? error)
    {
        Value = value;
        Error = error;
    }

    public string? Value { get; }
    public DomainError? Error { get; }
    public bool Succeeded => Error is null;

    public static VpnAllocation Allocated(string? value) => new(value, null);
    public static VpnAllocation Exhausted(string message) => new(null, new DomainError(ErrorCode.VPN_EXHAUSTED, message));
}
