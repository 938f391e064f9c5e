namespace Conpaas.Api.Subscriptions;

/// <summary>An observable fed by one async producer: values arrive in order, disposal cancels the producer.</summary>
public static class AsyncObservable
{
    public static IObservable<T> Create<T>(Func<Action<T>, CancellationToken, Task> producer) => new Producer<T>(producer);

    private sealed class Producer<T>(Func<Action<T>, CancellationToken, Task> producer) : IObservable<T>
    {
        public IDisposable Subscribe(IObserver<T> observer)
        {
            var cancel = new CancellationTokenSource();
            _ = Task.Run(async () =>
            {
                try
                {
                    await producer(observer.OnNext, cancel.Token);
                    observer.OnCompleted();
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    observer.OnError(ex);
                }
            });
            return new Cancel(cancel);
        }
    }

    private sealed class Cancel(CancellationTokenSource source) : IDisposable
    {
        // Not disposed: the producer may still be observing the token while it unwinds.
        public void Dispose() => source.Cancel();
    }
}
