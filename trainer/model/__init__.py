"""Primitive models: the shared protocol and registry, Neural Parts and the baseline types."""
from .cuboids import Cuboids
from .encoders import ENCODERS, build_encoder
from .flow import ConditionalNVP, Conditioning, CouplingLayer
from .neural_parts import NeuralParts
from .protocol import PartMesh, PrimitiveModel
from .registry import MODEL_TYPES, build_model
from .sphere import sample_sphere, sphere_mesh
from .superquadrics import Superquadrics

__all__ = [
    "PrimitiveModel", "MODEL_TYPES", "build_model", "NeuralParts", "Superquadrics", "Cuboids", "PartMesh",
    "ConditionalNVP", "Conditioning", "CouplingLayer", "ENCODERS", "build_encoder", "sample_sphere", "sphere_mesh",
]
