package org.sdmodel.convert;

import java.util.Locale;
import java.util.Set;
import org.sdmodel.DType;

/**
 * The floating-point precision a model is written in, and the rule deciding each tensor's output
 * type ({@link #target(String, DType, long[])}), the one place {@code prune}, {@code convert} and
 * {@code merge} take it from.
 *
 * <p>Only the four IEEE-style types torch state dicts use for weights ({@link DType#F64},
 * {@link DType#F32}, {@link DType#BF16}, {@link DType#F16}) are converted; integer, boolean,
 * complex and 8-bit-and-smaller float tensors keep their type, because converting them would
 * change what they mean (step counters, masks, quantised weights). Nor do the twelve DDPM
 * schedule buffers, at any precision: they are tiny, and rounding them visibly changes the images
 * a model makes.
 *
 * <p>The float8 precisions follow what fp8 checkpoints hold (ComfyUI, Forge and the web UI run
 * SDXL- and Flux-class UNets in fp8): the UNet's weight matrices and convolution kernels
 * ({@code model.diffusion_model.*} with two or more dimensions) become float8; its biases and
 * norm weights (one dimension), and every other floating tensor (VAE, text encoders), become fp16.
 */
public enum Precision {
    /** IEEE binary16, as torch's {@code tensor.half()}. */
    FP16(DType.F16, "fp16"),
    /** bfloat16, as torch's {@code tensor.bfloat16()}. */
    BF16(DType.BF16, "bf16"),
    /** IEEE binary32, as torch's {@code tensor.float()}. */
    FP32(DType.F32, "fp32"),
    /** Every tensor keeps its type. */
    KEEP(null, "keep"),
    /**
     * The UNet's weights of two or more dimensions as float8 e4m3fn ({@code
     * tensor.to(torch.float8_e4m3fn)}; safetensors {@code F8_E4M3}), other floating tensors fp16.
     */
    FP8_E4M3FN(DType.F8_E4M3, "fp8-e4m3fn"),
    /** The same with float8 e5m2 ({@code torch.float8_e5m2}; safetensors {@code F8_E5M2}). */
    FP8_E5M2(DType.F8_E5M2, "fp8-e5m2");

    /**
     * The DDPM schedule buffers of LatentDiffusion, which keep their precision (matched by the
     * name's last component).
     */
    public static final Set<String> SCHEDULE_BUFFERS = Set.of(
            "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
            "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
            "sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
            "posterior_mean_coef1", "posterior_mean_coef2");

    /** The UNet's tensors, whose weights the float8 precisions convert to float8. */
    public static final String UNET_PREFIX = "model.diffusion_model.";

    private final DType floatTarget;
    private final String label;

    Precision(DType floatTarget, String label) {
        this.floatTarget = floatTarget;
        this.label = label;
    }

    /** {@return the name the command line takes and the metadata records: {@code fp16}, {@code fp8-e4m3fn}, ..} */
    public String label() {
        return label;
    }

    /**
     * The precision a name stands for: a {@link #label()} in any case, or {@code fp8}, which is
     * {@link #FP8_E4M3FN} (the float8 format fp8 checkpoints use).
     *
     * @param name a name as the CLI takes it ({@code fp16}, {@code bf16}, {@code fp8}...)
     * @return the precision
     * @throws IllegalArgumentException naming the accepted names
     */
    public static Precision fromLabel(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("fp8")) {
            return FP8_E4M3FN;
        }
        for (Precision p : values()) {
            if (p.label.equals(n) || p.name().toLowerCase(Locale.ROOT).equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + name
                + "': use fp16, bf16, fp32, keep, fp8-e4m3fn (or fp8) or fp8-e5m2");
    }

    /** {@return true for {@link #FP8_E4M3FN} and {@link #FP8_E5M2}} */
    public boolean isFloat8() {
        return floatTarget != null && floatTarget.bits() == 8;
    }

    /**
     * The type a tensor is written in at this precision: the rule of the class comment. Unchanged
     * for {@link #KEEP}, for types that are not {@linkplain #isConvertible convertible} and for
     * the {@linkplain #isScheduleBuffer schedule buffers}; for the float8 precisions, float8 for
     * the UNet's tensors of two or more dimensions and fp16 for the other floating tensors; this
     * precision's type for the other precisions.
     *
     * @param name the tensor's name in the output (the state dict's key)
     * @param dtype its type
     * @param shape its shape
     * @return the type the tensor is written as (its own type when it is kept)
     */
    public DType target(String name, DType dtype, long[] shape) {
        if (isScheduleBuffer(name)) {
            return dtype;
        }
        return ruleTarget(name, dtype, shape);
    }

    /**
     * Why a tensor keeps its type although this precision converts tensors of its type (a
     * schedule buffer), or null if it does not.
     *
     * @param name the tensor's name in the output
     * @param dtype its type
     * @param shape its shape
     * @return why it is kept as it is, or null when it is converted
     */
    public String keptReason(String name, DType dtype, long[] shape) {
        if (isScheduleBuffer(name) && ruleTarget(name, dtype, shape) != dtype) {
            return "DDPM schedule buffer";
        }
        return null;
    }

    private DType ruleTarget(String name, DType dtype, long[] shape) {
        if (floatTarget == null || !isConvertible(dtype)) {
            return dtype;
        }
        if (isFloat8()) {
            return name.startsWith(UNET_PREFIX) && shape.length >= 2 ? floatTarget : DType.F16;
        }
        return floatTarget;
    }

    /**
     * {@return true for the DDPM schedule buffers ({@link #SCHEDULE_BUFFERS}, by the name's last component)}
     *
     * @param name a tensor's name
     */
    public static boolean isScheduleBuffer(String name) {
        int dot = name.lastIndexOf('.');
        return SCHEDULE_BUFFERS.contains(dot < 0 ? name : name.substring(dot + 1));
    }

    /**
     * {@return true for the types a precision other than {@link #KEEP} converts: F64, F32, BF16, F16}
     *
     * @param type an element type
     */
    public static boolean isConvertible(DType type) {
        return type == DType.F64 || type == DType.F32 || type == DType.BF16 || type == DType.F16;
    }
}
