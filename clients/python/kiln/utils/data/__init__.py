"""torch.utils.data for kiln: datasets, samplers, default_collate and DataLoader (batches are
kiln Tensors; workers collate into numpy and the main process uploads)."""

from kiln.utils.data._worker import WorkerInfo, get_worker_info
from kiln.utils.data.collate import default_collate, default_convert
from kiln.utils.data.dataloader import DataLoader
from kiln.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                     Subset, TensorDataset, random_split)
from kiln.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                     SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
           "default_collate", "default_convert", "get_worker_info", "random_split"]
