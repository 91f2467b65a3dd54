package org.sdmodel.inspect;

import java.util.Locale;

/**
 * What kind of Stable Diffusion file a state dict is, as {@link ArchitectureDetector} tells it from
 * key names and shapes. {@link #label()} is the name sdmodel prints ({@code sd1-inpainting}).
 */
public enum Architecture {
    /** Stable Diffusion 1.x: CLIP ViT-L/14 text encoder, UNet with 4 input channels. */
    SD1("sd1", "Stable Diffusion 1.x"),
    /** SD 1.x inpainting: the UNet takes 9 channels (latent, mask, masked image). */
    SD1_INPAINTING("sd1-inpainting", "Stable Diffusion 1.x inpainting"),
    /** InstructPix2Pix on SD 1.x: the UNet takes 8 channels (latent and the input image). */
    SD1_PIX2PIX("sd1-pix2pix", "InstructPix2Pix (SD 1.x)"),
    /** Stable Diffusion 2.x: OpenCLIP ViT-H/14 text encoder (width 1024). */
    SD2("sd2", "Stable Diffusion 2.x"),
    /** SD 2.x inpainting (9 input channels). */
    SD2_INPAINTING("sd2-inpainting", "Stable Diffusion 2.x inpainting"),
    /** SD 2.x depth-to-image: a MiDaS depth model and 5 input channels. */
    SD2_DEPTH("sd2-depth", "Stable Diffusion 2.x depth-to-image"),
    /** SDXL base: CLIP ViT-L and OpenCLIP ViT-bigG text encoders. */
    SDXL("sdxl", "Stable Diffusion XL"),
    /** SDXL refiner: OpenCLIP ViT-bigG alone. */
    SDXL_REFINER("sdxl-refiner", "Stable Diffusion XL refiner"),
    /** A VAE (AutoencoderKL) on its own. */
    VAE("vae", "VAE (AutoencoderKL)"),
    /** A LoRA (or LyCORIS) network: low-rank weight differences for a UNet and text encoder. */
    LORA("lora", "LoRA"),
    /** A textual-inversion embedding. */
    EMBEDDING("embedding", "textual-inversion embedding"),
    /** Nothing sdmodel recognises. */
    UNKNOWN("unknown", "unknown");

    private final String label;
    private final String description;

    Architecture(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** {@return the short name sdmodel prints and writes in JSON ({@code sd2-depth})} */
    public String label() {
        return label;
    }

    /** {@return a name for people ({@code Stable Diffusion 2.x depth-to-image})} */
    public String description() {
        return description;
    }

    /** {@return true for complete diffusion models (every SD 1.x, 2.x and XL kind)} */
    public boolean isCheckpoint() {
        return ordinal() <= SDXL_REFINER.ordinal();
    }

    /** {@return true for SD 1.x and its inpainting and pix2pix variants} */
    public boolean isSd1() {
        return this == SD1 || this == SD1_INPAINTING || this == SD1_PIX2PIX;
    }

    /** {@return true for SD 2.x and its inpainting and depth variants} */
    public boolean isSd2() {
        return this == SD2 || this == SD2_INPAINTING || this == SD2_DEPTH;
    }

    /**
     * {@return the architecture with this {@link #label()}, ignoring case}
     *
     * @param label a label, as {@link #label()} gives it
     */
    public static Architecture fromLabel(String label) {
        for (Architecture a : values()) {
            if (a.label.equals(label.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("no architecture is called " + label);
    }
}
