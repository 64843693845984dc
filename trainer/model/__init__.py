"""The Neural Parts model: encoders, the conditional flow and the NeuralParts module."""
from .encoders import ENCODERS, build_encoder
from .flow import ConditionalNVP, Conditioning, CouplingLayer
from .neural_parts import NeuralParts, PartMesh
from .sphere import sample_sphere, sphere_mesh

__all__ = [
    "NeuralParts", "PartMesh", "ConditionalNVP", "Conditioning", "CouplingLayer",
    "ENCODERS", "build_encoder", "sample_sphere", "sphere_mesh",
]
