import GANLayers
import GANTensor

extension Network {
    /// This network (a generator) in evaluation mode, BatchNorm on its running statistics, on
    /// `count` inputs `latents` [count, inputSize], in chunks of at most `chunk` rows. Returns
    /// [count] + outputShape. The one eval-mode sampling loop of samples.npy, `--eval-every`,
    /// gan-sample and its exports; in evaluation mode a row's output does not depend on the
    /// other rows of its chunk.
    public func evaluate(latents: UnsafePointer<Float>, count: Int, chunk: Int) -> Tensor {
        let width = inputShape.reduce(1, *), size = outputShape.reduce(1, *)
        let out = Tensor(shape: [count] + outputShape)
        let ws = makeWorkspace(batch: Swift.min(chunk, Swift.max(count, 1)))
        var done = 0
        while done < count {
            let n = Swift.min(ws.batch, count - done)
            if n < ws.batch { ws.input.zero() }
            ws.input.ptr.update(from: latents + done * width, count: n * width)
            ws.forward(training: false)
            (out.ptr + done * size).update(from: ws.output.ptr, count: n * size)
            done += n
        }
        return out
    }
}
