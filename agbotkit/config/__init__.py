"""Configuration: YAML documents, the one converter, the stack schema."""

from agbotkit.config.converter import CONVERTER as CONVERTER
from agbotkit.config.converter import structure as structure
from agbotkit.config.document import YamlDocument as YamlDocument
from agbotkit.config.schema import ComponentSpec as ComponentSpec
from agbotkit.config.schema import RestartConfig as RestartConfig
from agbotkit.config.schema import RestartPolicy as RestartPolicy
from agbotkit.config.schema import StackSettings as StackSettings
from agbotkit.config.stack import StackFile as StackFile
from agbotkit.config.stack import load_stack as load_stack
from agbotkit.config.stack import parse_stack as parse_stack
