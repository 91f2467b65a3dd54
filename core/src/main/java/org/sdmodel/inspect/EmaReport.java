package org.sdmodel.inspect;

/**
 * The EMA (exponential moving average) copies of a training checkpoint: LitEma keeps, beside each
 * {@code model.X}, a copy named {@code model_ema.} + X without dots.
 *
 * @param copies the number of {@code model_ema.*} tensors other than LitEma's {@code decay} and
 *     {@code num_updates} buffers
 * @param bytes their size
 * @param unetWeights the number of UNet ({@code model.diffusion_model.*}) tensors
 * @param unetCovered how many of them have an EMA copy
 */
public record EmaReport(int copies, long bytes, int unetWeights, int unetCovered) {

    /** {@return whether the file holds EMA copies at all} */
    public boolean present() {
        return copies > 0;
    }

    /** {@return whether every UNet weight has an EMA copy (so prune can swap them in)} */
    public boolean coversUnet() {
        return unetWeights > 0 && unetCovered == unetWeights;
    }
}
