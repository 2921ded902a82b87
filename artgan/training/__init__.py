"""Pieces every trainer shares, one module per job: sessions (device, mixed precision, DDP), crop datasets,
the sampler, checkpoints, sample grids, logging and the one training loop `fit`.

One process trains on CPU or one GPU; `torchrun --nproc_per_node N -m artgan train …`
starts N processes and each joins the process group from torchrun's environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT). Every process sees a different shard of
the same global batch (DistributedSampler), DistributedDataParallel averages the
gradients, and only rank 0 writes checkpoints, samples and logs.
"""

from artgan.training.arguments import add_common_arguments, add_data_arguments
from artgan.training.checkpoints import load_checkpoint, resume_state, save_checkpoint, save_grid
from artgan.training.data import (
    CropDataset,
    EpochSampler,
    FixedImages,
    epoch_length,
    groups,
    item_rng,
    make_loader,
    micro_batch_size,
    to_tensor,
)
from artgan.training.loop import fit
from artgan.training.optim import LossMeter, Optimizer, accumulate, discriminator_update, frozen
from artgan.training.runlog import RunLog
from artgan.training.session import PRECISIONS, Session, amp_dtype, pick_device, reseed, start_session

__all__ = [
    "CropDataset",
    "EpochSampler",
    "FixedImages",
    "LossMeter",
    "Optimizer",
    "PRECISIONS",
    "RunLog",
    "Session",
    "accumulate",
    "add_common_arguments",
    "add_data_arguments",
    "amp_dtype",
    "discriminator_update",
    "epoch_length",
    "fit",
    "frozen",
    "groups",
    "item_rng",
    "load_checkpoint",
    "make_loader",
    "micro_batch_size",
    "pick_device",
    "reseed",
    "resume_state",
    "save_checkpoint",
    "save_grid",
    "start_session",
    "to_tensor",
]
